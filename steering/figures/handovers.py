"""Figures of handovers between units (issue #5): how many went from each unit to
each kind of unit, and how long the receiving units took to acknowledge them.

Rows are the district's units; the pair table's columns are the receiving unit's
kind (a district has one unit of each kind). Acknowledged means accepted or returned.
"""

from __future__ import annotations

from datetime import datetime, time

from django.db.models import Count
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bokvar.models import Unit
from cases.models import Handover

from . import Column, Figure, Scope, register


def _sent_in(scope: Scope):
    tz = timezone.get_current_timezone()
    start = datetime.combine(scope.start, time.min, tzinfo=tz)
    end = datetime.combine(scope.end, time.max, tzinfo=tz)
    return Handover.objects.filter(
        from_unit__district=scope.district, sent_at__gte=start, sent_at__lte=end
    )


def handovers_between_units(scope: Scope) -> dict:
    rows = (
        _sent_in(scope).values("from_unit_id", "to_unit__kind").annotate(n=Count("id")).order_by()
    )
    return {(r["from_unit_id"], r["to_unit__kind"]): r["n"] for r in rows}


def hours_to_acknowledge(scope: Scope) -> dict:
    rows = (
        _sent_in(scope)
        .annotate(decided=Coalesce("accepted_at", "returned_at"))
        .filter(decided__isnull=False)
        .values_list("to_unit_id", "sent_at", "decided")
    )
    out: dict[int, list[float]] = {}
    for unit_id, sent, decided in rows:
        out.setdefault(unit_id, []).append(round((decided - sent).total_seconds() / 3600, 1))
    return out


register(
    Figure(
        key="handovers_between_units",
        title=_("Handovers between units"),
        description=_(
            "Handovers sent during the period: rows are the sending units, columns the receiving kind of unit."
        ),
        columns=tuple(Column(value, label) for value, label in Unit.Kind.choices),
        compute=handovers_between_units,
        additive=True,
        order=70,
    )
)
register(
    Figure(
        key="hours_to_acknowledge",
        title=_("Hours until a handover is acknowledged"),
        description=_("The median hours from sending to acceptance or return, by receiving unit."),
        columns=(Column("median", _("Median hours")), Column("n", _("Handovers"))),
        compute=hours_to_acknowledge,
        median=True,
        order=71,
    )
)
