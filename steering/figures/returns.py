"""Returns to homelessness after a home was won or kept (issue 18), measured as HUD's
System Performance Measure 2 measures them: of the households that left for a home of
their own, how many were back within 6 and within 12 months.

Leaving for a home of one's own is a contract takeover (the end of the housing chain) or
an eviction threat concluded with the lease kept or recovered by payment. Being back is a
shelter night for anyone of the household, or a new homelessness case for the household,
after that day. For a period, the households are those that left during the same months
a year earlier, so the twelve months after have passed by the end of the period (HUD
looks two years back for the same reason). Counted per departure, by the unit responsible
for the case; each month's count is a sum of departures, so the figure adds up over time.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, EvictionThreat
from housing.models import Placement, ShelterNight

from .base import Column, Figure, Scope, any_of

KEPT = (EvictionThreat.Outcome.LEASE_KEPT, EvictionThreat.Outcome.RECOVERED_BY_PAYMENT)


def _months_later(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def departures(scope: Scope) -> list[tuple[int, int, date]]:
    """(unit, household, day) for every departure to a home in the cohort months."""
    return _departures(scope.district, [_cohort(scope)])


def _departures(district, cohorts: list[tuple[date, date]]) -> list[tuple[int, int, date]]:
    """(unit, household, day) for every departure to a home in one of the cohorts."""
    takeovers = Placement.objects.filter(
        any_of([Q(takeover_on__range=c) for c in cohorts]),
        case__responsible_unit__district=district,
        outcome=Placement.Outcome.TAKEOVER,
    ).values_list("case__responsible_unit_id", "household_id", "takeover_on")
    kept = EvictionThreat.objects.filter(
        any_of([Q(concluded_on__range=c) for c in cohorts]),
        case__responsible_unit__district=district,
        outcome__in=KEPT,
    ).values_list("case__responsible_unit_id", "case__household_id", "concluded_on")
    return [*takeovers, *kept]


def _cohort(scope: Scope) -> tuple[date, date]:
    return _months_later(scope.start, -12), _months_later(scope.end, -12)


def count_months(scopes: list[Scope]) -> dict:
    """The returns of every scope's period (sums of months) in four queries, whatever the
    number of periods: the departures of all the cohorts, then the days their households
    were back. Each period's cells are counted from its own departures, as `returns`
    counts them (a day back outside a departure's 12 months never counts)."""
    if not scopes:
        return {}
    cohorts = [_cohort(scope) for scope in scopes]
    everyone = _departures(scopes[0].district, cohorts)
    back = _back_days(everyone) if everyone else {}
    out: dict = {}
    for scope, (start, end) in zip(scopes, cohorts, strict=True):
        left = [row for row in everyone if start <= row[2] <= end]
        out[("returns_to_homelessness", "compute", scope.period.key)] = (
            _returned(left, back) if left else {}
        )
    return out


def returns(scope: Scope) -> dict:
    left = departures(scope)
    if not left:
        return {}
    return _returned(left, _back_days(left))


def _back_days(left: list[tuple[int, int, date]]) -> dict[int, list[date]]:
    """{household: days on which it was back} (shelter nights and new homelessness
    cases) from the first departure to 12 months after the last."""
    households = {household for _, household, _ in left}
    first = min(day for _, _, day in left)
    last = _months_later(max(day for _, _, day in left), 12)
    back: dict[int, list[date]] = {}
    nights = (
        ShelterNight.objects.filter(person__household_id__in=households, night__gt=first)
        .filter(night__lte=last)
        .annotate(household=F("person__household_id"))
        .values_list("household", "night")
        .distinct()
    )
    opened = Case.objects.filter(
        household_id__in=households,
        kind=Case.Kind.HOMELESSNESS,
        opened_on__gt=first,
        opened_on__lte=last,
    ).values_list("household_id", "opened_on")
    for household, day in [*nights, *opened]:
        back.setdefault(household, []).append(day)
    return back


def _returned(left: list[tuple[int, int, date]], back: dict[int, list[date]]) -> dict:
    """The figure's cells: per unit, the departures and those back within 6 and 12
    months. `back` may hold more days than those after these departures: only a day
    within 12 months after a departure counts."""
    out: dict = {}
    for unit, household, day in left:
        out[(unit, "left")] = out.get((unit, "left"), 0) + 1
        days = back.get(household, [])
        for months, column in ((6, "back_6"), (12, "back_12")):
            if any(day < d <= _months_later(day, months) for d in days):
                out[(unit, column)] = out.get((unit, column), 0) + 1
    return out


RETURNS_TO_HOMELESSNESS = Figure(
    key="returns_to_homelessness",
    title=_("Returns to homelessness after a home was won or kept"),
    description=_(
        "Households that took over a contract or kept their lease after an eviction threat "
        "during the same months a year earlier, and how many of them were back in a night "
        "shelter or a new homelessness case within 6 and within 12 months (as HUD's system "
        "performance measure 2)."
    ),
    columns=(
        Column("left", _("Left for a home")),
        Column("back_6", _("Back within 6 months")),
        Column("back_12", _("Back within 12 months")),
    ),
    compute=returns,
)
