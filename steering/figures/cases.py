"""Figures the cases app can answer: new and closed cases.

Every query groups by responsible unit and counts; nothing but plain columns
(kind, status, dates, outcome) is read. Children under an eviction threat and children
in evicted households are counted from the threats themselves, in `workflow.py`
(one definition of each goal figure).

The number of open cases at the end of a period is not published: with new and closed
cases it forms the identity open(M) = open(M-1) + new(M) - closed(M), which gives a hidden
count of new or closed cases away (see docs/statistics.md).
"""

from __future__ import annotations

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from cases.models import Case

from .base import Column, Figure, Scope, count_by_month


def _cases(scope: Scope):
    return Case.objects.filter(responsible_unit__district=scope.district)


def _by_unit(qs, field: str) -> dict:
    rows = qs.values("responsible_unit_id", field).annotate(n=Count("id")).order_by()
    return {(r["responsible_unit_id"], r[field]): r["n"] for r in rows}


def new_cases(scope: Scope) -> dict:
    return _by_unit(_cases(scope).filter(opened_on__range=scope.dates), "kind")


def closed_cases(scope: Scope) -> dict:
    return _by_unit(
        _cases(scope).filter(status=Case.Status.CLOSED, closed_on__range=scope.dates), "outcome"
    )


NEW_CASES = Figure(
    key="new_cases",
    title=_("New cases by kind"),
    description=_("Cases opened during the period, by the unit responsible for them."),
    columns=tuple(Column(value, label) for value, label in Case.Kind.choices),
    compute=new_cases,
    additive=True,
)
CLOSED_CASES = Figure(
    key="closed_cases",
    title=_("Closed cases by outcome"),
    description=_("Cases closed during the period, by outcome."),
    columns=tuple(Column(value, label) for value, label in Case.Outcome.choices),
    compute=closed_cases,
    additive=True,
)


# --- Several months at once (a report's trend, a refresh) -----------------------------


def count_months(scopes: list[Scope]) -> dict:
    """New and closed cases (sums of months, so a longer period takes them from its
    months) for every scope's period: two queries whatever the number of periods."""
    if not scopes:
        return {}
    cases = _cases(scopes[0])
    unit = "responsible_unit_id"
    opened = count_by_month(cases, (unit, "kind"), "opened_on", scopes)
    closed = count_by_month(
        cases.filter(status=Case.Status.CLOSED), (unit, "outcome"), "closed_on", scopes
    )
    out: dict = {}
    for scope, new, ended in zip(scopes, opened, closed, strict=True):
        out[("new_cases", "compute", scope.period.key)] = new
        out[("closed_cases", "compute", scope.period.key)] = ended
    return out
