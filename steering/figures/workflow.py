"""Figures of the eviction-prevention workflow (issue #4): landlord signals, eviction
threats by stage and outcome, children, and days from a signal to the first contact.

Signals count towards the unit responsible for the case they were linked to. A signal
not (yet) linked to a case counts for its own district (set on arrival or at triage) in
the row "not yet assigned to a unit", inside the district total; one with no district
either is counted in a row of its own below the district total, for the whole
municipality. Children are counted when under 18 at the end of the period, by birth
year (the only thing recorded about a child).
Every query groups plain columns (kind, dates, outcome, child rows by birth year).

Open threats at the end of a period are not published: with new threats and outcomes
they form the identity open(M) = open(M-1) + new(M) - concluded(M), which gives a hidden
count away (see docs/statistics.md).
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from cases.models import EvictionThreat, HouseholdChild, LandlordSignal

from .base import DISTINCT, Column, Figure, Scope, count_by_month, units_and_district


def _signals(scope: Scope):
    return LandlordSignal.objects.filter(case__responsible_unit__district=scope.district)


def _threats(scope: Scope):
    return EvictionThreat.objects.filter(case__responsible_unit__district=scope.district)


def _by_unit(qs, field: str) -> dict:
    rows = qs.values("case__responsible_unit_id", field).annotate(n=Count("id")).order_by()
    return {(r["case__responsible_unit_id"], r[field]): r["n"] for r in rows}


def signals_by_kind(scope: Scope) -> dict:
    return _by_unit(_signals(scope).filter(received_on__range=scope.dates), "kind")


def unassigned_signals_by_kind(period, district) -> dict:
    """Signals of the period not linked to a case: of `district`, or with no district."""
    rows = (
        LandlordSignal.objects.filter(
            case__isnull=True, district=district, received_on__range=(period.start, period.end)
        )
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["kind"]: r["n"] for r in rows}


def days_to_first_contact(scope: Scope) -> dict:
    rows = (
        _signals(scope)
        .filter(received_on__range=scope.dates, first_contact_days__isnull=False)
        .values_list("case__responsible_unit_id", "first_contact_days")
    )
    out: dict[int, list[int]] = {}
    for unit_id, days in rows:
        out.setdefault(unit_id, []).append(days)
    return out


def new_threats(scope: Scope) -> dict:
    """Threats whose first stage date (arrears notice, else termination) falls in the period."""
    rows = (
        _threats(scope)
        .filter(
            Q(arrears_notice_on__range=scope.dates)
            | Q(arrears_notice_on__isnull=True, termination_served_on__range=scope.dates)
        )
        .values("case__responsible_unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(r["case__responsible_unit_id"], "new"): r["n"] for r in rows}


def threat_outcomes(scope: Scope) -> dict:
    return _by_unit(
        _threats(scope).filter(concluded_on__range=scope.dates).exclude(outcome=""), "outcome"
    )


def _minor_years(scope: Scope) -> tuple[int, int]:
    """Birth years of children under 18 at the end of the period (a child born in the
    year that is 18 years before counts as 18: only the birth year is recorded)."""
    return (scope.end.year - 17, scope.end.year)


def _with_children(scope: Scope):
    return Exists(
        HouseholdChild.objects.filter(
            household_id=OuterRef("case__household_id"), birth_year__range=_minor_years(scope)
        )
    )


def _count_households_and_children(qs, scope: Scope) -> dict:
    minors = Q(case__household__children__birth_year__range=_minor_years(scope))
    rows = (
        qs.filter(_with_children(scope))
        .values("case__responsible_unit_id")
        .annotate(
            households=Count("case__household", distinct=True),
            children=Count("case__household__children", distinct=True, filter=minors),
        )
        .order_by()
    )
    out = {}
    for r in rows:
        out[(r["case__responsible_unit_id"], "households")] = r["households"]
        out[(r["case__responsible_unit_id"], "children")] = r["children"]
    return out


def _district_households_and_children(qs, scope: Scope) -> dict:
    """The same, for the whole district with its own aggregate: a household with threats
    in two units is one household (and its children counted once)."""
    minors = Q(case__household__children__birth_year__range=_minor_years(scope))
    return qs.filter(_with_children(scope)).aggregate(
        households=Count("case__household", distinct=True),
        children=Count("case__household__children", distinct=True, filter=minors),
    )


def _active_threats(scope: Scope):
    started = Q(arrears_notice_on__lte=scope.end) | Q(termination_served_on__lte=scope.end)
    active = Q(concluded_on__isnull=True) | Q(concluded_on__gte=scope.start)
    return _threats(scope).filter(started, active)


def _evicted(scope: Scope):
    return _threats(scope).filter(
        outcome=EvictionThreat.Outcome.EVICTED, concluded_on__range=scope.dates
    )


def children_under_threat(scope: Scope) -> dict:
    return _count_households_and_children(_active_threats(scope), scope)


def children_under_threat_district(scope: Scope) -> dict:
    return _district_households_and_children(_active_threats(scope), scope)


def children_in_evictions(scope: Scope) -> dict:
    return _count_households_and_children(_evicted(scope), scope)


def children_in_evictions_district(scope: Scope) -> dict:
    return _district_households_and_children(_evicted(scope), scope)


SIGNALS_BY_KIND = Figure(
    key="signals_by_kind",
    title=_("Landlord signals by kind"),
    description=_(
        "Signals received during the period, by the unit responsible for the case they "
        "concern; signals not yet linked to a case are counted for their district, or for "
        "the whole municipality when they have no district yet."
    ),
    columns=tuple(Column(value, label) for value, label in LandlordSignal.Kind.choices),
    compute=signals_by_kind,
    unassigned=unassigned_signals_by_kind,
    additive=True,
)
DAYS_TO_FIRST_CONTACT = Figure(
    key="days_to_first_contact",
    title=_("Days from a signal to the first contact"),
    description=_(
        "The median number of days from a signal received during the period to the first contact."
    ),
    columns=(Column("median", _("Median days")), Column("n", _("Signals"))),
    compute=days_to_first_contact,
    median=True,
)
NEW_THREATS = Figure(
    key="new_threats",
    title=_("New eviction threats"),
    description=_(
        "Eviction threats that began during the period (rent-arrears notice or termination)."
    ),
    columns=(Column("new", _("New threats")),),
    compute=new_threats,
)
THREAT_OUTCOMES = Figure(
    key="threat_outcomes",
    title=_("Outcomes of eviction threats"),
    description=_("Threats concluded during the period, by outcome."),
    columns=tuple(Column(v, label) for v, label in EvictionThreat.Outcome.choices if v),
    compute=threat_outcomes,
    additive=True,
)
CHILDREN_UNDER_THREAT = Figure(
    key="children_under_threat",
    title=_("Households with children under an eviction threat"),
    description=_(
        "Households with children under 18 at the end of the period whose eviction "
        "threat was active during the period; the district total counts each household "
        "and child once."
    ),
    columns=(
        Column("households", _("Households with children")),
        Column("children", _("Children")),
    ),
    compute=children_under_threat,
    over_time=DISTINCT,
    district_total=children_under_threat_district,
)
CHILDREN_IN_EVICTIONS = Figure(
    key="children_in_evictions",
    title=_("Children in households evicted after an eviction threat"),
    description=_(
        "Eviction threats concluded during the period with the outcome evicted, and the "
        "children under 18 at the end of the period in those households."
    ),
    columns=(Column("households", _("Evicted households")), Column("children", _("Children"))),
    compute=children_in_evictions,
    over_time=DISTINCT,
    district_total=children_in_evictions_district,
    goal=_("The goal is zero."),
)


# --- Several periods at once (a first request for a longer period) -------------------


def _in_any(field: str, scopes: list[Scope]) -> Q:
    """Records whose `field` falls in one of the scopes' periods."""
    out = Q()
    for scope in scopes:
        out |= Q(**{f"{field}__range": scope.dates})
    return out


def _active_in(scope: Scope) -> Q:
    started = Q(arrears_notice_on__lte=scope.end) | Q(termination_served_on__lte=scope.end)
    return started & (Q(concluded_on__isnull=True) | Q(concluded_on__gte=scope.start))


def _evicted_in(scope: Scope) -> Q:
    return Q(outcome=EvictionThreat.Outcome.EVICTED, concluded_on__range=scope.dates)


def count_days_periods(scopes: list[Scope]) -> dict:
    """The days from a signal to the first contact (the values behind the median), for
    every scope's period, in one query whatever the number of periods. Not needed when
    the periods' months kept their distributions (`steering.figures.FROM_DISTRIBUTIONS`)."""
    if not scopes:
        return {}
    first = scopes[0]
    out: dict = {}
    # The district's units by id (a scope holds all of them, `stats.district_units`): the
    # planner then reads the district's cases from the unit index instead of scanning
    # every case of the country to join them to the units (national scale: 82-150 ms
    # instead of 253 ms).
    of_units = Q(case__responsible_unit_id__in=[unit.pk for unit in first.units])
    days = (
        LandlordSignal.objects.filter(of_units)
        .filter(_in_any("received_on", scopes), first_contact_days__isnull=False)
        .values_list("case__responsible_unit_id", "first_contact_days", "received_on")
    )
    by_period: dict[str, dict[int, list[int]]] = {s.period.key: {} for s in scopes}
    for unit_id, value, received in days:
        for scope in scopes:
            # (value is never None: filtered above; the test is for the type checker)
            if value is not None and scope.start <= received <= scope.end:
                by_period[scope.period.key].setdefault(unit_id, []).append(value)
    for scope in scopes:
        out[("days_to_first_contact", "compute", scope.period.key)] = by_period[scope.period.key]
    return out


def count_periods(scopes: list[Scope]) -> dict:
    """Households and children under a threat and in evictions (not sums of months), for
    every scope's period: two queries (the units' rows and the district's own distinct
    count), whatever the number of periods. A household with a child under 18 at the end
    of the period is one whose child row of that birth year joins the threat: the FILTER
    on the joined child rows is the `_with_children` test."""
    if not scopes:
        return {}
    first = scopes[0]
    out: dict = {}
    which = {"children_under_threat": _active_in, "children_in_evictions": _evicted_in}
    where = Q()
    aggregates = {}
    for i, scope in enumerate(scopes):
        minors = Q(case__household__children__birth_year__range=_minor_years(scope))
        for key, condition in which.items():
            where |= condition(scope)
            aggregates[f"h_{key}_{i}"] = Count(
                "case__household", distinct=True, filter=condition(scope) & minors
            )
            aggregates[f"c_{key}_{i}"] = Count(
                "case__household__children", distinct=True, filter=condition(scope) & minors
            )
    rows = units_and_district(
        # Through the join to the units: with the ids the planner hashes every threat of
        # the country (358,340 at national scale, 250-370 ms); with the join it probes
        # the threats of the district's cases (137 ms).
        _threats(first).filter(where),
        "case__responsible_unit_id",
        aggregates,
    )
    for i, scope in enumerate(scopes):
        for key in which:
            units: dict = {}
            for unit, r in rows.items():
                if unit is not None and r[f"h_{key}_{i}"]:
                    units[(unit, "households")] = r[f"h_{key}_{i}"]
                    units[(unit, "children")] = r[f"c_{key}_{i}"]
            out[(key, "compute", scope.period.key)] = units
            out[(key, "district_total", scope.period.key)] = {
                "households": rows[None][f"h_{key}_{i}"],
                "children": rows[None][f"c_{key}_{i}"],
            }
    return out


def count_months(scopes: list[Scope]) -> dict:
    """Signals by kind (with the district's and the municipality's signals not linked to
    a case), new threats and threat outcomes (sums of months, so a longer period takes
    them from its months) for every scope's period: four queries whatever the number of
    periods."""
    if not scopes:
        return {}
    first = scopes[0]
    unit = "case__responsible_unit_id"
    signals = count_by_month(_signals(first), (unit, "kind"), "received_on", scopes)
    loose = count_by_month(
        LandlordSignal.objects.filter(case__isnull=True).filter(
            Q(district=first.district) | Q(district__isnull=True)
        ),
        ("district_id", "kind"),
        "received_on",
        scopes,
    )
    # A threat starts with its arrears notice, or without one when the termination is
    # served (`new_threats`).
    started = Coalesce("arrears_notice_on", "termination_served_on")
    new = count_by_month(_threats(first), (unit,), started, scopes)
    concluded = count_by_month(
        _threats(first).exclude(outcome=""), (unit, "outcome"), "concluded_on", scopes
    )
    out: dict = {}
    for i, scope in enumerate(scopes):
        key = scope.period.key
        out[("signals_by_kind", "compute", key)] = signals[i]
        for what, district_id in (("unassigned", first.district.pk), ("municipality", None)):
            out[("signals_by_kind", what, key)] = {
                kind: n for (of, kind), n in loose[i].items() if of == district_id
            }
        out[("new_threats", "compute", key)] = {(u, "new"): n for (u,), n in new[i].items()}
        out[("threat_outcomes", "compute", key)] = concluded[i]
    return out
