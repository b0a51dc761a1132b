"""Figures of the housing chain (issue #6): shelter nights and their cost, placements
in training and trial apartments, contract takeovers, and cost-forecast totals.

Nights and their cost count towards the paying unit; placements towards the unit
responsible for the case. Sums of money carry the number of people behind them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Aggregate, Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from housing.models import Apartment, Placement, ShelterNight
from housing.selectors import Forecast, forecasts_for_cases, forecasts_on_days

from .base import (
    DISTINCT,
    END,
    Column,
    Figure,
    Scope,
    count_by_month,
    units_and_district,
)


def shelter_nights(scope: Scope) -> dict:
    """{(unit, "nights"): (nights, people)}: a number of nights is a sum over the people
    who stayed, so it follows the rule of sums (none over fewer than the threshold)."""
    rows = (
        ShelterNight.objects.filter(paying_unit__district=scope.district, night__range=scope.dates)
        .values("paying_unit_id")
        .annotate(n=Count("id"), people=Count("person", distinct=True))
        .order_by()
    )
    return {(r["paying_unit_id"], "nights"): (r["n"], r["people"]) for r in rows}


def _nights(scope: Scope):
    return ShelterNight.objects.filter(
        paying_unit__district=scope.district, night__range=scope.dates
    )


def shelter_people_district(scope: Scope) -> dict:
    """The people who stayed, for the whole district: one person paid for by two units
    is one person (the units' rows count them in each)."""
    people = _nights(scope).aggregate(n=Count("person", distinct=True))["n"]
    return {"nights": people}


def shelter_cost_people_district(scope: Scope) -> dict:
    return {"cost": shelter_people_district(scope)["nights"]}


def shelter_cost(scope: Scope) -> dict:
    rows = (
        ShelterNight.objects.filter(paying_unit__district=scope.district, night__range=scope.dates)
        .values("paying_unit_id")
        .annotate(total=Sum("cost"), people=Count("person", distinct=True))
        .order_by()
    )
    return {(r["paying_unit_id"], "cost"): (int(r["total"] or 0), r["people"]) for r in rows}


def placements(scope: Scope) -> dict:
    kinds = [Apartment.Kind.TRAINING, Apartment.Kind.TRIAL]
    rows = (
        Placement.objects.filter(
            case__responsible_unit__district=scope.district,
            apartment__kind__in=kinds,
            start_on__lte=scope.end,
        )
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=scope.start))
        .values("case__responsible_unit_id", "apartment__kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["case__responsible_unit_id"], r["apartment__kind"]): r["n"] for r in rows}


def takeovers(scope: Scope) -> dict:
    rows = (
        Placement.objects.filter(
            case__responsible_unit__district=scope.district,
            outcome=Placement.Outcome.TAKEOVER,
            takeover_on__range=scope.dates,
        )
        .values("case__responsible_unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["case__responsible_unit_id"], "takeovers"): r["n"] for r in rows}


# The forecasts made inside `forecasts_kept`, by (district id, year, as of).
_KEPT: ContextVar[dict[tuple[int, int, object], tuple[dict, dict]] | None] = ContextVar(
    "steering_forecasts_kept", default=None
)


@contextmanager
def forecasts_kept() -> Iterator[None]:
    """Inside, each forecast is made once: the cost forecast's cells (`cost_forecast`) and
    the households behind them (`cost_forecast_households`) come from the same forecast,
    which a month's table would otherwise make twice. For a stretch of code that writes
    nothing the forecast reads (`steering.stats` making one period's tables)."""
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def cost_forecast_households(scope: Scope) -> dict:
    return cost_forecast(scope, district=True)


def cost_forecast(scope: Scope, *, district: bool = False) -> dict:
    return _forecast_figures(scope)[1 if district else 0]


def _forecast_figures(scope: Scope) -> tuple[dict, dict]:
    """The forecast cost of the period's year, as known at the end of the period (or today,
    if the period has not ended), by the unit responsible for the case; and the
    households behind the district's sum (the figure's `district_total`).

    Uses the housing chain's forecast (shelter nights, placements and other costs so far,
    projected to 31 December at the current daily rate) in a constant number of queries;
    only the per-unit sums and the number of households behind them leave this function.
    """
    year, as_of = _forecast_day(scope)
    kept = _KEPT.get()
    key = (scope.district.pk, year, as_of)
    if kept is not None and key in kept:
        units_kept, district_kept = kept[key]
        return dict(units_kept), dict(district_kept)
    cases = Case.objects.filter(responsible_unit__district=scope.district)
    units, district = _forecast_cells(forecasts_for_cases(cases, year=year, as_of=as_of))
    if kept is not None:
        kept[key] = (dict(units), dict(district))
    return units, district


def _forecast_day(scope: Scope) -> tuple[int, date]:
    """The year whose forecast a period shows, and the day it is known at."""
    return scope.end.year, min(scope.end, timezone.localdate())


def _forecast_cells(rows: list[Forecast]) -> tuple[dict, dict]:
    """The units' forecast cells and the households behind the district's sum: only
    the per-unit sums and the number of households behind them leave the forecast."""
    totals: dict[int, Decimal] = {}
    households: dict[int, set[int]] = {}
    for row in rows:
        if not row.forecast:
            continue
        totals[row.unit_id] = totals.get(row.unit_id, Decimal("0")) + row.forecast
        households.setdefault(row.unit_id, set()).add(row.household_id)
    # The households behind the district's sum, each once (the sum itself adds up).
    households_anywhere = set().union(*households.values()) if households else set()
    units = {
        (unit_id, "forecast"): (
            int(total.quantize(Decimal("1"), rounding=ROUND_HALF_UP)),
            len(households[unit_id]),
        )
        for unit_id, total in totals.items()
    }
    return units, {"forecast": len(households_anywhere)}


SHELTER_NIGHTS = Figure(
    key="shelter_nights",
    title=_("Shelter nights"),
    description=_(
        "Nights in night shelters during the period, by paying unit, and the people who stayed."
    ),
    columns=(Column("nights", _("Nights")),),
    compute=shelter_nights,
    district_total=shelter_people_district,
    money=True,
    unit="nights",
)
SHELTER_COST = Figure(
    key="shelter_cost",
    title=_("Cost of shelter nights (SEK)"),
    description=_("What the nights of the period cost, at the price valid each night."),
    columns=(Column("cost", _("Cost (SEK)")),),
    compute=shelter_cost,
    district_total=shelter_cost_people_district,
    money=True,
    same_cells_as="shelter_nights",
)
PLACEMENTS = Figure(
    key="placements",
    title=_("Placements in training and trial apartments"),
    description=_("Placements current at some time during the period."),
    columns=(
        Column(Apartment.Kind.TRAINING, _("Training apartment")),
        Column(Apartment.Kind.TRIAL, _("Trial apartment")),
    ),
    compute=placements,
    additive=True,
    over_time=DISTINCT,
)
TAKEOVERS = Figure(
    key="takeovers",
    title=_("Contract takeovers"),
    description=_("Clients who took over the first-hand contract during the period."),
    columns=(Column("takeovers", _("Takeovers")),),
    compute=takeovers,
)
COST_FORECAST = Figure(
    key="cost_forecast",
    title=_("Cost forecast for the year (SEK)"),
    description=_(
        "The expected cost of the whole year of the period (shelter nights, placements "
        "and other costs so far, projected to 31 December at the current daily rate), "
        "by the unit responsible for the case, and the households behind it."
    ),
    columns=(Column("forecast", _("Forecast (SEK)")),),
    compute=cost_forecast,
    district_total=cost_forecast_households,
    money=True,
    over_time=END,
)


# --- Several periods at once (a first request for a longer period) -------------------


def count_periods(scopes: list[Scope]) -> dict:
    """Shelter nights and their cost (sums over time, but the people behind them are
    counted once over the period, so the period is counted on its own) and placements
    current during the period, for every scope's period: three queries (the units' nights,
    cost and people; the district's own people; the placements), whatever the number of
    periods."""
    if not scopes:
        return {}
    district = scopes[0].district
    out: dict = {}
    in_period = [Q(night__range=scope.dates) for scope in scopes]
    # The district's units by id (a scope holds all of them, `stats.district_units`):
    # with the ids the planner reads the (paying unit, night) index for each period; with
    # a join to the units it scans every unit's nights of the periods.
    paid_by = [unit.pk for unit in scopes[0].units]
    if not paid_by:
        return {}  # no unit, no rows: nothing is counted for such a district
    nights = ShelterNight.objects.filter(paying_unit_id__in=paid_by).filter(_any(in_period))
    aggregates: dict[str, Aggregate] = {}
    for i, condition in enumerate(in_period):
        aggregates[f"n_{i}"] = Count("id", filter=condition)
        aggregates[f"cost_{i}"] = Sum("cost", filter=condition)
        aggregates[f"people_{i}"] = Count("person", distinct=True, filter=condition)
    by_unit = units_and_district(nights, "paying_unit_id", aggregates)
    people = by_unit.pop(None)
    rows = [{"paying_unit_id": unit} | r for unit, r in by_unit.items()]
    kinds = [Apartment.Kind.TRAINING, Apartment.Kind.TRIAL]
    current = [
        Q(start_on__lte=scope.end) & (Q(end_on__isnull=True) | Q(end_on__gte=scope.start))
        for scope in scopes
    ]
    placed = [
        dict(row)
        for row in Placement.objects.filter(
            case__responsible_unit__district=district, apartment__kind__in=kinds
        )
        .filter(_any(current))
        .values("case__responsible_unit_id", "apartment__kind")
        .annotate(**{f"n_{i}": Count("id", filter=q) for i, q in enumerate(current)})
        .order_by()
    ]
    for i, scope in enumerate(scopes):
        key = scope.period.key
        stayed = [r for r in rows if r[f"n_{i}"]]
        out[("shelter_nights", "compute", key)] = {
            (r["paying_unit_id"], "nights"): (r[f"n_{i}"], r[f"people_{i}"]) for r in stayed
        }
        out[("shelter_cost", "compute", key)] = {
            (r["paying_unit_id"], "cost"): (int(r[f"cost_{i}"] or 0), r[f"people_{i}"])
            for r in stayed
        }
        out[("shelter_nights", "district_total", key)] = {"nights": people[f"people_{i}"]}
        out[("shelter_cost", "district_total", key)] = {"cost": people[f"people_{i}"]}
        out[("placements", "compute", key)] = {
            (r["case__responsible_unit_id"], r["apartment__kind"]): r[f"n_{i}"]
            for r in placed
            if r[f"n_{i}"]
        }
    return out


def count_months(scopes: list[Scope]) -> dict:
    """Contract takeovers (a sum of months) for every scope's period in one query, and
    the cost forecast with the households behind it, for every period from one pass of
    the forecast per year (`forecasts_on_days`; a longer period takes both from its last
    month)."""
    if not scopes:
        return {}
    taken = count_by_month(
        Placement.objects.filter(
            case__responsible_unit__district=scopes[0].district,
            outcome=Placement.Outcome.TAKEOVER,
        ),
        ("case__responsible_unit_id",),
        "takeover_on",
        scopes,
    )
    # Every period's forecast in one pass (four queries a year, not four a period).
    days = [_forecast_day(scope) for scope in scopes]
    forecasts = forecasts_on_days(
        Case.objects.filter(responsible_unit__district=scopes[0].district), days
    )
    out: dict = {}
    for scope, found, day in zip(scopes, taken, days, strict=True):
        key = scope.period.key
        out[("takeovers", "compute", key)] = {(u, "takeovers"): n for (u,), n in found.items()}
        units, district = _forecast_cells(forecasts[day])
        out[("cost_forecast", "compute", key)] = units
        out[("cost_forecast", "district_total", key)] = district
    return out


def _any(conditions: list[Q]) -> Q:
    out = Q()
    for condition in conditions:
        out |= condition
    return out
