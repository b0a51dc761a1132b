"""Figures for the steering group: per pair of units and month, how many handovers
and the median time until they were acknowledged."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from bokvar.models import Unit
from cases.handovers import selectors, services

from .conftest import send

pytestmark = pytest.mark.django_db


def test_count_and_median_time_to_acknowledge(make_case, org, caseworker, caseworker2, coordinator):
    income, adult = org.units[Unit.Kind.INCOME_SUPPORT], org.units[Unit.Kind.ADULT]
    start = timezone.make_aware(datetime(2026, 3, 2, 9))
    waits = [timedelta(hours=2), timedelta(hours=10), timedelta(hours=30)]
    for wait in waits:
        case = make_case(unit_kind=Unit.Kind.ADULT)
        h = send(case, actor=caseworker, to_unit=income, now=start)
        services.accept_handover(actor=caseworker2, handover_id=h.pk, now=start + wait)
    returned = send(
        make_case(unit_kind=Unit.Kind.ADULT), actor=caseworker, to_unit=income, now=start
    )
    services.return_handover(
        actor=caseworker2, handover_id=returned.pk, reason="Fel", now=start + timedelta(hours=40)
    )
    send(
        make_case(unit_kind=Unit.Kind.ADULT), actor=caseworker, to_unit=income, now=start
    )  # pending
    # Another pair, another month.
    other = send(
        make_case(unit_kind=Unit.Kind.INCOME_SUPPORT),
        actor=caseworker2,
        to_unit=adult,
        now=start + timedelta(days=31),
    )
    services.accept_handover(actor=caseworker, handover_id=other.pk, now=start + timedelta(days=32))

    rows = selectors.figures(start=start - timedelta(days=1), end=start + timedelta(days=60))
    by_pair = {(r.from_unit_id, r.to_unit_id): r for r in rows}
    first = by_pair[(adult.pk, income.pk)]
    assert (first.count, first.decided) == (5, 4)
    assert first.median_to_acknowledge == timedelta(hours=20)  # median of 2, 10, 30, 40
    assert timezone.localtime(first.period).month == 3 or first.period.month in (2, 3)
    second = by_pair[(income.pk, adult.pk)]
    assert (second.count, second.decided, second.median_to_acknowledge) == (1, 1, timedelta(days=1))
    assert (
        selectors.figures(start=start + timedelta(days=90), end=start + timedelta(days=120)) == []
    )
