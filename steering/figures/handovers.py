"""Figures of handovers between units (issue #5): for each pair of units, how many
handovers went from one to the other and how long the receiving unit took to
acknowledge them (the median hours).

Rows are the sending units of the district; columns the receiving unit's kind (a
district has one unit of each kind). Acknowledged means accepted or returned.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bokvar.models import Unit
from cases.models import Handover

from .base import Column, Figure, Scope, count_by_month


def _bounds(scope: Scope) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(scope.start, time.min, tzinfo=tz),
        datetime.combine(scope.end, time.max, tzinfo=tz),
    )


def _sent_in(scope: Scope):
    start, end = _bounds(scope)
    return Handover.objects.filter(
        from_unit__district=scope.district, sent_at__gte=start, sent_at__lte=end
    )


def handovers_between_units(scope: Scope) -> dict:
    rows = (
        _sent_in(scope).values("from_unit_id", "to_unit__kind").annotate(n=Count("id")).order_by()
    )
    return {(r["from_unit_id"], r["to_unit__kind"]): r["n"] for r in rows}


def _decided(qs):
    return (
        qs.annotate(decided=Coalesce("accepted_at", "returned_at"))
        .filter(decided__isnull=False)
        .values_list("from_unit_id", "to_unit__kind", "sent_at", "decided")
    )


def _hours(rows) -> dict[tuple, list[float]]:
    out: dict[tuple, list[float]] = {}
    for unit_id, kind, sent, decided in rows:
        hours = round((decided - sent).total_seconds() / 3600, 1)
        out.setdefault((unit_id, kind), []).append(hours)
    return out


def hours_to_acknowledge(scope: Scope) -> dict:
    """{(sending unit, receiving kind): [hours until acceptance or return]}."""
    return _hours(_decided(_sent_in(scope)))


def count_periods(scopes: list[Scope]) -> dict:
    """The hours to acknowledge (a median: not a sum of months) for every scope's period,
    in one query; each handover goes to the periods its sending time falls in."""
    if not scopes:
        return {}
    bounds = [_bounds(scope) for scope in scopes]
    sent = Q()
    for start, end in bounds:
        sent |= Q(sent_at__gte=start, sent_at__lte=end)
    rows = list(_decided(Handover.objects.filter(sent, from_unit__district=scopes[0].district)))
    return {
        ("handovers_by_pair", "compute", scope.period.key): _hours(
            row for row in rows if start <= row[2] <= end
        )
        for scope, (start, end) in zip(scopes, bounds, strict=True)
    }


def count_months(scopes: list[Scope]) -> dict:
    """Handovers between units (a sum of months, so a longer period takes it from its
    months) for every scope's period, in one query."""
    if not scopes:
        return {}
    found = count_by_month(
        Handover.objects.filter(from_unit__district=scopes[0].district),
        ("from_unit_id", "to_unit__kind"),
        "sent_at",
        scopes,
    )
    return {
        ("handovers_between_units", "compute", scope.period.key): counts
        for scope, counts in zip(scopes, found, strict=True)
    }


HANDOVERS_BETWEEN_UNITS = Figure(
    key="handovers_between_units",
    title=_("Handovers between units"),
    description=_(
        "Handovers sent during the period: rows are the sending units, columns the receiving kind of unit."
    ),
    columns=tuple(Column(value, label) for value, label in Unit.Kind.choices),
    compute=handovers_between_units,
    additive=True,
)
HANDOVERS_BY_PAIR = Figure(
    key="handovers_by_pair",
    title=_("Handovers per pair of units and hours until acknowledged"),
    description=_(
        "For each pair of units (sending unit → receiving unit), the handovers sent "
        "during the period and the median hours from sending to acceptance or return."
    ),
    columns=(
        Column("n", _("Handovers")),
        Column("median", _("Median hours to acknowledge")),
    ),
    compute=hours_to_acknowledge,
    pairs_of="handovers_between_units",
)
