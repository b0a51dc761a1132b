"""Writes of the client surveys (issue 20, point 6): one transaction each, permission
checked (`partners.selectors.get_survey_for_user`), history attributed where the record
has history. Kept beside `partners.services` so the survey code reads as one piece.

Answers come in two ways: anonymously with a single-use code (`submit_with_code`, no
login) or typed in from paper by an owner (`enter_paper_answers`). Both go through
`clean_answers`, which refuses bad input with a ValidationError naming the question's
field ("q<id>"), and through `partners.screening` for free text.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.crypto import blind_index, blind_indexes
from bokvar.history import attribute
from bokvar.models import Unit, User

from . import selectors
from .models import (
    MeetingPlace,
    Survey,
    SurveyAnswer,
    SurveyCode,
    SurveyQuestion,
    SurveyResponse,
)
from .screening import screen

# Codes are typed from paper as often as scanned: no 0/O, 1/I/L; 10 characters of 31
# give about 50 bits, beyond guessing at the rate the answer page allows.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
MAX_CODES_AT_ONCE = 500
MAX_QUESTIONS = 30
MAX_OPTIONS = 12
MAX_TEXT = 2000
NUMBER_LIMIT = 1_000_000


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    """Keyed hash (HMAC with the blind-index key): a stolen table gives no codes."""
    return blind_index(normalise_code(code), purpose="survey-code")


def code_hashes(code: str) -> list[str]:
    """Every form a handed-out code may be stored under while blind-index keys rotate."""
    return blind_indexes(normalise_code(code), purpose="survey-code")


@dataclass
class SurveyData:
    title: str
    introduction: str = ""


@transaction.atomic
def create_survey(
    *,
    actor: User,
    data: SurveyData,
    unit: Unit | None = None,
    place: MeetingPlace | None = None,
) -> Survey:
    """A draft survey for the clients of a team or the guests of a meeting place."""
    if (unit is None) == (place is None):
        raise ValidationError({"owner": _("Choose a team or a meeting place.")})
    if unit is not None and unit.pk not in selectors.survey_unit_ids(actor):
        raise PermissionDenied
    if place is not None and place.pk not in selectors.survey_place_ids(actor):
        raise PermissionDenied
    survey = Survey(
        title=data.title.strip(),
        introduction=data.introduction.strip(),
        audience=Survey.Audience.CLIENTS if unit is not None else Survey.Audience.GUESTS,
        unit=unit,
        place=place,
        created_by=actor,
    )
    survey.full_clean()
    attribute(survey, user=actor, reason="survey created").save()
    return survey


@dataclass
class QuestionData:
    kind: str
    text: str
    options: Sequence[str] = ()
    scale_min: int = 1
    scale_max: int = 5
    required: bool = False


def _check_question(data: QuestionData) -> list[str]:
    if data.kind not in SurveyQuestion.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of question.")})
    if not data.text.strip():
        raise ValidationError({"text": _("Write the question.")})
    options = [o.strip() for o in data.options if o.strip()]
    choice = data.kind in (SurveyQuestion.Kind.SINGLE, SurveyQuestion.Kind.MULTIPLE)
    if choice and not 2 <= len(options) <= MAX_OPTIONS:
        raise ValidationError(
            {"options": _("A choice question needs 2 to %(n)d options.") % {"n": MAX_OPTIONS}}
        )
    if choice and len({o.casefold() for o in options}) != len(options):
        raise ValidationError({"options": _("Each option must be different.")})
    if data.kind == SurveyQuestion.Kind.SCALE and not (0 <= data.scale_min < data.scale_max <= 10):
        raise ValidationError({"scale_max": _("A scale runs upwards, between 0 and 10.")})
    return options if choice else []


def _draft(actor: User, survey_id: int, expected_version: int) -> Survey:
    selectors.get_survey_for_user(actor, survey_id, action="manage")
    survey = lock_version(Survey, survey_id, expected_version)
    if survey.status != Survey.Status.DRAFT:
        raise ValidationError(
            {"survey": _("Questions can be changed only while the survey is a draft.")}
        )
    return survey


@transaction.atomic
def add_question(
    *, actor: User, survey_id: int, expected_version: int, data: QuestionData
) -> SurveyQuestion:
    survey = _draft(actor, survey_id, expected_version)
    options = _check_question(data)
    last = survey.questions.aggregate(m=Max("position"))["m"] or 0
    if survey.questions.count() >= MAX_QUESTIONS:
        raise ValidationError(
            {"text": _("A short survey: at most %(n)d questions.") % {"n": MAX_QUESTIONS}}
        )
    question = SurveyQuestion(
        survey=survey,
        position=last + 1,
        kind=data.kind,
        text=data.text.strip(),
        options=options,
        scale_min=data.scale_min if data.kind == SurveyQuestion.Kind.SCALE else 1,
        scale_max=data.scale_max if data.kind == SurveyQuestion.Kind.SCALE else 5,
        required=data.required,
    )
    question.full_clean()
    attribute(question, user=actor, reason="survey question added").save()
    bump(survey)
    attribute(survey, user=actor, reason="survey question added").save(update_fields=["version"])
    return question


@transaction.atomic
def remove_question(
    *, actor: User, survey_id: int, expected_version: int, question_id: int
) -> None:
    survey = _draft(actor, survey_id, expected_version)
    question = survey.questions.filter(pk=question_id).first()
    if question is None:
        raise ValidationError({"question": _("No such question in this survey.")})
    question.delete()
    bump(survey)
    attribute(survey, user=actor, reason="survey question removed").save(update_fields=["version"])


@transaction.atomic
def set_status(*, actor: User, survey_id: int, expected_version: int, status: str) -> Survey:
    """Open a draft for answers, or close an open survey (a closed one can reopen)."""
    selectors.get_survey_for_user(actor, survey_id, action="manage")
    survey = lock_version(Survey, survey_id, expected_version)
    allowed = {
        Survey.Status.DRAFT: {Survey.Status.OPEN},
        Survey.Status.OPEN: {Survey.Status.CLOSED},
        Survey.Status.CLOSED: {Survey.Status.OPEN},
    }
    if status not in allowed[Survey.Status(survey.status)]:
        raise ValidationError({"status": _("The survey cannot go to that status from here.")})
    if status == Survey.Status.OPEN and not survey.questions.exists():
        raise ValidationError({"status": _("Add at least one question first.")})
    survey.status = status
    bump(survey)
    attribute(survey, user=actor, reason=f"survey {status}").save(
        update_fields=["status", "version"]
    )
    return survey


@transaction.atomic
def issue_codes(*, actor: User, survey_id: int, count: int) -> list[str]:
    """`count` new single-use codes, returned once in plain text; only hashes are kept."""
    survey = selectors.get_survey_for_user(actor, survey_id, action="manage")
    if not 1 <= count <= MAX_CODES_AT_ONCE:
        raise ValidationError(
            {"count": _("Between 1 and %(n)d codes at a time.") % {"n": MAX_CODES_AT_ONCE}}
        )
    if survey.status == Survey.Status.CLOSED:
        raise ValidationError({"count": _("The survey is closed.")})
    codes = [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)
    ]
    SurveyCode.objects.bulk_create(
        [SurveyCode(survey=survey, code_hash=code_hash(c)) for c in codes]
    )
    return codes


def survey_for_code(code: str) -> Survey | None:
    """The open survey an unused code answers, or None (unknown, used, or not open)."""
    if len(normalise_code(code)) != CODE_LENGTH:
        return None
    row = (
        SurveyCode.objects.filter(
            code_hash__in=code_hashes(code), used=False, survey__status=Survey.Status.OPEN
        )
        .select_related("survey")
        .first()
    )
    return row.survey if row else None


@dataclass(frozen=True)
class CleanAnswer:
    question: SurveyQuestion
    options: tuple[int, ...] = ()
    number: int | None = None
    text: str = ""
    masked: bool = False


def _one(values: Sequence[str]) -> str:
    return values[-1].strip() if values else ""


def clean_answers(survey: Survey, data: Mapping[str, Sequence[str]]) -> list[CleanAnswer]:
    """Check the answers to `survey`'s questions; `data` maps "q<id>" to the values
    posted. Refuses with a ValidationError naming the first bad question's field."""
    answers: list[CleanAnswer] = []
    errors: dict[str, str] = {}
    for q in survey.questions.order_by("position"):
        raw = [v for v in data.get(q.field_name, []) if v.strip()]
        if not raw:
            if q.required:
                errors[q.field_name] = _("This question needs an answer.")
            continue
        kind = SurveyQuestion.Kind
        if q.kind in (kind.SINGLE, kind.MULTIPLE):
            valid = {str(i) for i in range(len(q.options))}
            if any(v.strip() not in valid for v in raw) or (q.kind == kind.SINGLE and len(raw) > 1):
                errors[q.field_name] = _("Choose among the options given.")
                continue
            answers.append(CleanAnswer(q, options=tuple(sorted({int(v) for v in raw}))))
        elif q.kind in (kind.SCALE, kind.NUMBER):
            try:
                value = int(_one(raw))
            except ValueError:
                errors[q.field_name] = _("Enter a whole number.")
                continue
            low, high = (q.scale_min, q.scale_max) if q.kind == kind.SCALE else (0, NUMBER_LIMIT)
            if not low <= value <= high:
                errors[q.field_name] = _("Enter a number from %(low)d to %(high)d.") % {
                    "low": low,
                    "high": high,
                }
                continue
            answers.append(CleanAnswer(q, number=value))
        else:
            text = _one(raw)
            if len(text) > MAX_TEXT:
                errors[q.field_name] = _("At most %(n)d characters.") % {"n": MAX_TEXT}
                continue
            screened = screen(text)
            answers.append(CleanAnswer(q, text=screened.text, masked=screened.masked))
    if errors:
        raise ValidationError(errors)
    if not answers:
        raise ValidationError({"survey": _("Answer at least one question.")})
    return answers


def _save_response(survey: Survey, answers: list[CleanAnswer], source: str) -> SurveyResponse:
    response = SurveyResponse.objects.create(
        survey=survey, answered_on=timezone.localdate(), source=source
    )
    rows: list[SurveyAnswer] = []
    for a in answers:
        if a.options:
            rows += [
                SurveyAnswer(response=response, question=a.question, option=o) for o in a.options
            ]
        elif a.number is not None:
            rows.append(SurveyAnswer(response=response, question=a.question, number=a.number))
        else:
            rows.append(
                SurveyAnswer(response=response, question=a.question, text=a.text, masked=a.masked)
            )
    SurveyAnswer.objects.bulk_create(rows)
    return response


class CodeUsed(Exception):
    """The code is unknown, already used, or its survey is not open."""


@transaction.atomic
def submit_with_code(*, code: str, data: Mapping[str, Sequence[str]]) -> SurveyResponse:
    """An anonymous answer with a handed-out code: at most one per code.

    The code is spent with one conditional UPDATE (used=False -> True). Two submits of
    the same code at once: the second UPDATE waits for the first transaction's row lock,
    then finds the row used and changes nothing, so only one answer is saved. The answer
    keeps no trace of the code (see partners.models.surveys)."""
    survey = survey_for_code(code)
    if survey is None:
        raise CodeUsed
    answers = clean_answers(survey, data)
    # A plain UPDATE on the code's own columns (no join): PostgreSQL re-checks
    # "used = false" on the row the first transaction changed, so the second one spends 0.
    spent = SurveyCode.objects.filter(code_hash__in=code_hashes(code), used=False).update(used=True)
    if spent != 1:
        raise CodeUsed
    return _save_response(survey, answers, SurveyResponse.Source.WEB)


@transaction.atomic
def enter_paper_answers(
    *, actor: User, survey_id: int, data: Mapping[str, Sequence[str]]
) -> SurveyResponse:
    """One paper questionnaire typed in by an owner (the paper needs no code)."""
    survey = selectors.get_survey_for_user(actor, survey_id, action="manage")
    if survey.status == Survey.Status.DRAFT:
        raise ValidationError({"survey": _("Open the survey before entering answers.")})
    answers = clean_answers(survey, data)
    return _save_response(survey, answers, SurveyResponse.Source.PAPER)
