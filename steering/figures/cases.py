"""Figures the cases app can answer: new, open and closed cases, and children.

Every query groups by responsible unit and counts; nothing but plain columns
(kind, status, dates, outcome, a household's child rows by birth year) is read.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, HouseholdChild

from . import Column, Figure, Scope, register


def _cases(scope: Scope):
    return Case.objects.filter(responsible_unit__district=scope.district)


def _by_unit(qs, field: str) -> dict:
    rows = qs.values("responsible_unit_id", field).annotate(n=Count("id")).order_by()
    return {(r["responsible_unit_id"], r[field]): r["n"] for r in rows}


def _active_during(scope: Scope) -> Q:
    return Q(opened_on__lte=scope.end) & (Q(closed_on__isnull=True) | Q(closed_on__gte=scope.start))


def new_cases(scope: Scope) -> dict:
    return _by_unit(_cases(scope).filter(opened_on__range=scope.dates), "kind")


def open_cases(scope: Scope) -> dict:
    # Open on the last day of the period, whatever their status is today.
    still_open = Q(closed_on__isnull=True) | Q(closed_on__gt=scope.end)
    return _by_unit(_cases(scope).filter(still_open, opened_on__lte=scope.end), "kind")


def closed_cases(scope: Scope) -> dict:
    return _by_unit(
        _cases(scope).filter(status=Case.Status.CLOSED, closed_on__range=scope.dates), "outcome"
    )


def _with_children():
    return Exists(HouseholdChild.objects.filter(household_id=OuterRef("household_id")))


def households_with_children(scope: Scope) -> dict:
    rows = (
        _cases(scope)
        .filter(_active_during(scope), _with_children(), kind=Case.Kind.EVICTION_PREVENTION)
        .values("responsible_unit_id")
        .annotate(
            households=Count("id", distinct=True),
            children=Count("household__children"),
        )
        .order_by()
    )
    result = {}
    for r in rows:
        result[(r["responsible_unit_id"], "households")] = r["households"]
        result[(r["responsible_unit_id"], "children")] = r["children"]
    return result


def children_evicted(scope: Scope) -> dict:
    rows = (
        _cases(scope)
        .filter(
            status=Case.Status.CLOSED,
            outcome=Case.Outcome.EVICTED,
            closed_on__range=scope.dates,
        )
        .values("responsible_unit_id")
        .annotate(
            households=Count("id", distinct=True),
            with_children=Count("id", distinct=True, filter=Q(household__children__isnull=False)),
            children=Count("household__children"),
        )
        .order_by()
    )
    result = {}
    for r in rows:
        for key in ("households", "with_children", "children"):
            result[(r["responsible_unit_id"], key)] = r[key]
    return result


register(
    Figure(
        key="new_cases",
        title=_("New cases by kind"),
        description=_("Cases opened during the period, by the unit responsible for them."),
        columns=tuple(Column(value, label) for value, label in Case.Kind.choices),
        compute=new_cases,
        additive=True,
        order=10,
    )
)
register(
    Figure(
        key="open_cases",
        title=_("Open cases at the end of the period"),
        description=_(
            "Cases opened on or before the last day of the period and not closed by then."
        ),
        columns=tuple(Column(value, label) for value, label in Case.Kind.choices),
        compute=open_cases,
        additive=True,
        order=20,
    )
)
register(
    Figure(
        key="closed_cases",
        title=_("Closed cases by outcome"),
        description=_("Cases closed during the period, by outcome."),
        columns=tuple(Column(value, label) for value, label in Case.Outcome.choices),
        compute=closed_cases,
        additive=True,
        order=30,
    )
)
register(
    Figure(
        key="households_with_children",
        title=_("Households with children under eviction threat"),
        description=_(
            "Eviction-prevention cases open at some time during the period whose household "
            "has children, and the number of children in them."
        ),
        columns=(
            Column("households", _("Households with children")),
            Column("children", _("Children")),
        ),
        compute=households_with_children,
        order=40,
    )
)
register(
    Figure(
        key="children_evicted",
        title=_("Children in evicted households"),
        description=_("Cases closed during the period with the outcome evicted."),
        columns=(
            Column("households", _("Evicted households")),
            Column("with_children", _("Of them with children")),
            Column("children", _("Children")),
        ),
        compute=children_evicted,
        order=50,
        goal=_("The goal is zero."),
    )
)
