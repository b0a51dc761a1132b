"""A survey's results as counts and shares, protected like the steering statistics.

Every question's counts go through the kernel's disclosure control
(`bokvar.suppression`, the one steering uses): a count from 1 to threshold-1 is shown as
"<5", and for a question with one answer per person (one choice, scale) the counts add up
to the question's total, so secondary suppression hides one more cell where a hidden one
could be worked out. A share is shown only beside a published count and over a published
total of at least the threshold: it is then computed from published numbers and tells
nothing they do not. A mean or median needs at least the threshold of answers.

Free text is returned only with `free_text=True`, which the views pass for the survey's
owners alone (`partners.selectors.may_own_survey`); the steering group never gets it.

A fixed number of queries whatever the number of questions or answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median_low

from django.db.models import Count

from bokvar import suppression

from .models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

HIDDEN = "<{threshold}"
SECONDARY_MARK = "–"


@dataclass
class Cell:
    label: str
    value: int | None  # None: hidden
    display: str
    share: int | None = None  # whole per cent of the question's respondents


@dataclass
class QuestionResult:
    question: SurveyQuestion
    respondents: Cell
    cells: list[Cell] = field(default_factory=list)
    mean: float | None = None
    median: int | None = None
    texts: list[tuple[str, bool]] = field(default_factory=list)  # (masked text, was masked)


@dataclass
class SurveyResults:
    survey: Survey
    threshold: int
    responses: Cell
    paper: int | None
    questions: list[QuestionResult]


def _cell(label: str, value: int, mark: str | None, limit: int) -> Cell:
    if mark is None:
        return Cell(label, value, str(value))
    display = HIDDEN.format(threshold=limit) if mark == suppression.PRIMARY else SECONDARY_MARK
    return Cell(label, None, display)


def _protected(labels: list[str], counts: list[int], *, additive: bool, limit: int):
    """The question's cells and its total (respondents), suppressed together."""
    grid = suppression.build_grid([counts], row_totals=additive, column_totals=False)
    marks = suppression.suppress(grid, limit)
    cells = [_cell(label, counts[j], marks.get((0, j)), limit) for j, label in enumerate(labels)]
    return cells, marks


def _total(value: int, limit: int, mark: str | None = None) -> Cell:
    if mark is None and 0 < value < limit:
        mark = suppression.PRIMARY
    return _cell("", value, mark, limit)


def _add_shares(cells: list[Cell], total: Cell, limit: int) -> None:
    if total.value is None or total.value < limit:
        return
    for cell in cells:
        if cell.value is not None:
            cell.share = round(100 * cell.value / total.value)


def survey_results(survey: Survey, *, free_text: bool, limit: int | None = None) -> SurveyResults:
    limit = limit or suppression.threshold()
    questions = list(survey.questions.order_by("position"))
    answers = SurveyAnswer.objects.filter(question__survey=survey)
    by_source = dict(
        SurveyResponse.objects.filter(survey=survey)
        .values_list("source")
        .annotate(n=Count("id"))
        .order_by()
    )
    options: dict[int, dict[int, int]] = defaultdict(dict)
    for qid, option, n in (
        answers.filter(option__isnull=False)
        .values_list("question_id", "option")
        .annotate(n=Count("id"))
        .order_by()
    ):
        options[qid][option] = n
    numbers: dict[int, dict[int, int]] = defaultdict(dict)
    for qid, number, n in (
        answers.filter(number__isnull=False)
        .values_list("question_id", "number")
        .annotate(n=Count("id"))
        .order_by()
    ):
        numbers[qid][number] = n
    respondents = dict(
        answers.values_list("question_id").annotate(n=Count("response", distinct=True)).order_by()
    )
    texts: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    if free_text:
        for qid, text, masked in (
            answers.filter(question__kind=SurveyQuestion.Kind.TEXT)
            .values_list("question_id", "text", "masked")
            .order_by("question_id", "response_id")
        ):
            texts[qid].append((text, masked))

    results = []
    kind = SurveyQuestion.Kind
    for q in questions:
        answered = respondents.get(q.pk, 0)
        result = QuestionResult(q, respondents=_total(answered, limit))
        if q.kind in (kind.SINGLE, kind.SCALE, kind.MULTIPLE):
            source = options[q.pk] if q.kind != kind.SCALE else numbers[q.pk]
            labels = [label for _, label in q.choices]
            counts = [source.get(value, 0) for value, _ in q.choices]
            # One answer per person: the counts add up to the respondents (an equation
            # to protect); several choices per person do not.
            additive = q.kind != kind.MULTIPLE
            cells, marks = _protected(labels, counts, additive=additive, limit=limit)
            if additive:
                result.respondents = _cell("", answered, marks.get((0, len(counts))), limit)
            result.cells = cells
            _add_shares(cells, result.respondents, limit)
        if q.kind in (kind.SCALE, kind.NUMBER) and answered >= limit:
            values = [v for v, n in sorted(numbers[q.pk].items()) for _ in range(n)]
            result.mean = round(sum(values) / len(values), 1)
            result.median = median_low(values)
        if q.kind == kind.TEXT and free_text:
            result.texts = texts[q.pk]
        results.append(result)
    total = sum(by_source.values())
    paper = by_source.get(SurveyResponse.Source.PAPER, 0)
    return SurveyResults(
        survey=survey,
        threshold=limit,
        responses=_total(total, limit),
        # The split by source only where neither part is a small count.
        paper=paper
        if total >= limit and not ({paper, total - paper} & set(range(1, limit)))
        else None,
        questions=results,
    )
