"""Figures of the client surveys (issue 20, points 6 and 8): answers received and how
satisfied the answers on a scale are, per team.

A team's survey counts towards the team (its unit); a meeting place's surveys have no
unit and are read on each survey's own results page (partners.survey_results, with the
same disclosure control). Only counts of answers are read: never a free text, never a
code, and an answer holds no person.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from partners.models import SurveyAnswer, SurveyQuestion, SurveyResponse

from .base import Column, Figure, Scope, count_by_month


def survey_answers(scope: Scope) -> dict:
    """{(unit, source): answers} of the district's team surveys answered in the period."""
    rows = (
        SurveyResponse.objects.filter(
            survey__unit__district=scope.district, answered_on__range=scope.dates
        )
        .values("survey__unit_id", "source")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["survey__unit_id"], r["source"]): r["n"] for r in rows}


def scale_band(value: int, low: int, high: int) -> str:
    """The third of the scale `value` lies in: "low", "middle" or "high" (a 1-5 scale:
    1-2 low, 3 middle, 4-5 high; a 0-10 scale: 0-3, 4-6, 7-10)."""
    place = (value - low) / (high - low)
    if place < 1 / 3:
        return "low"
    return "high" if place > 2 / 3 else "middle"


SCALE_GROUP = ("response__survey__unit_id", "number", "question__scale_min", "question__scale_max")


def _scale_answers(district):
    return SurveyAnswer.objects.filter(
        question__kind=SurveyQuestion.Kind.SCALE,
        number__isnull=False,
        response__survey__unit__district=district,
    )


def scale_answers(scope: Scope) -> dict:
    """{(unit, band): answers on a scale} of the district's team surveys in the period."""
    rows = (
        _scale_answers(scope.district)
        .filter(response__answered_on__range=scope.dates)
        .values(*SCALE_GROUP)
        .annotate(n=Count("id"))
        .order_by()
    )
    return _bands({tuple(r[name] for name in SCALE_GROUP): r["n"] for r in rows})


def _bands(found: dict[tuple, int]) -> dict:
    """{(unit, band): answers} from {(unit, number, scale min, scale max): answers}."""
    out: dict[tuple[int, str], int] = {}
    for (unit, number, low, high), n in found.items():
        key = (unit, scale_band(number or 0, low, high))
        out[key] = out.get(key, 0) + n
    return out


def count_months(scopes: list[Scope]) -> dict:
    """Answers and answers on a scale (sums of months, so a longer period takes them from
    its months) for every scope's period: two queries whatever the number of periods."""
    if not scopes:
        return {}
    district = scopes[0].district
    answers = count_by_month(
        SurveyResponse.objects.filter(survey__unit__district=district),
        ("survey__unit_id", "source"),
        "answered_on",
        scopes,
    )
    scales = count_by_month(_scale_answers(district), SCALE_GROUP, "response__answered_on", scopes)
    out: dict = {}
    for scope, answered, on_scale in zip(scopes, answers, scales, strict=True):
        out[("survey_answers", "compute", scope.period.key)] = answered
        out[("survey_scales", "compute", scope.period.key)] = _bands(on_scale)
    return out


SURVEY_ANSWERS = Figure(
    key="survey_answers",
    title=_("Client survey answers"),
    description=_(
        "Answers to the teams' client surveys during the period, on a phone or tablet "
        "with a code or typed in from paper. Meeting places' guest surveys are shown on "
        "each survey's results page."
    ),
    columns=(
        Column(SurveyResponse.Source.WEB, _("On a phone or tablet")),
        Column(SurveyResponse.Source.PAPER, _("Typed in from paper")),
    ),
    compute=survey_answers,
    additive=True,
)
SURVEY_SCALES = Figure(
    key="survey_scales",
    title=_("Client survey answers on a scale"),
    description=_(
        "Answers to the scale questions of the teams' client surveys during the period, "
        "by the third of the scale they fall in (a 1–5 scale: 1–2 low, 3 middle, 4–5 high)."
    ),
    columns=(
        Column("low", _("Low third")),
        Column("middle", _("Middle third")),
        Column("high", _("High third")),
    ),
    compute=scale_answers,
    additive=True,
)
