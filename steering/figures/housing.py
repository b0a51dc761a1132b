"""Figures of the housing chain (issue #6): shelter nights and their cost, placements
in training and trial apartments, contract takeovers, and cost-forecast totals.

Nights and their cost count towards the paying unit; placements towards the unit
responsible for the case. Sums of money carry the number of people behind them.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from housing.models import Apartment, Placement, ShelterNight
from housing.selectors import forecasts_for_cases

from .base import DISTINCT, END, Column, Figure, Scope


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


def cost_forecast_households(scope: Scope) -> dict:
    return cost_forecast(scope, district=True)


def cost_forecast(scope: Scope, *, district: bool = False) -> dict:
    """The forecast cost of the period's year, as known at the end of the period (or today,
    if the period has not ended), by the unit responsible for the case.

    Uses the housing chain's forecast (shelter nights, placements and other costs so far,
    projected to 31 December at the current daily rate) in a constant number of queries;
    only the per-unit sums and the number of households behind them leave this function.
    """
    year = scope.end.year
    as_of = min(scope.end, timezone.localdate())
    cases = Case.objects.filter(responsible_unit__district=scope.district)
    totals: dict[int, Decimal] = {}
    households: dict[int, set[int]] = {}
    for row in forecasts_for_cases(cases, year=year, as_of=as_of):
        if not row.forecast:
            continue
        totals[row.unit_id] = totals.get(row.unit_id, Decimal("0")) + row.forecast
        households.setdefault(row.unit_id, set()).add(row.household_id)
    if district:
        # The households behind the district's sum, each once (the sum itself adds up).
        households_anywhere = set().union(*households.values()) if households else set()
        return {"forecast": len(households_anywhere)}
    return {
        (unit_id, "forecast"): (
            int(total.quantize(Decimal("1"), rounding=ROUND_HALF_UP)),
            len(households[unit_id]),
        )
        for unit_id, total in totals.items()
    }


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
