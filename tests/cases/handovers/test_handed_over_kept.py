"""Which of a reader's cases were handed to their units (the access log's "explained by a
handover") is read by one statement compiled once, the case ids, the unit ids and the
moment bound on each call (audit.registry.handed_over, `KeptBound`): the same cases as
the ORM's reading of every app's checks, a pending or accepted handover, read access
left after a transfer until it expires, and nothing for other units or cases."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from audit import registry
from bokvar import compiled
from bokvar.models import Unit
from cases.handovers.services.deciding import accept_handover
from cases.models import HandoverReadAccess

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    registry._HANDED.statements.clear()
    yield
    registry._HANDED.statements.clear()


def _by_the_orm(case_ids, unit_ids) -> set[int]:
    now = timezone.now()
    parts = [
        qs
        for checker in registry.registry.handover_checkers.values()
        for qs in checker(sorted(case_ids), sorted(unit_ids), now)
    ]
    return set(parts[0].union(*parts[1:]))


def test_the_handed_cases_are_the_orms_and_current(org, cases, transfer, caseworker2):
    adult, income = org.units[Unit.Kind.ADULT].pk, org.units[Unit.Kind.INCOME_SUPPORT].pk
    housing = org.units[Unit.Kind.HOUSING_TEAM].pk
    a, b = cases.a.pk, cases.b.pk
    asks = [({a}, {income}), ({a, b}, {income, housing}), ({a}, {adult}), ({b}, {income})]
    with mock.patch.object(
        compiled.KeptBound, "_compile", autospec=True, side_effect=compiled.KeptBound._compile
    ) as compiling:
        # Pending: the receiving unit's reads are explained, the sending unit's not.
        for case_ids, unit_ids in asks:
            assert registry.handed_over(case_ids, unit_ids) == _by_the_orm(case_ids, unit_ids)
        assert registry.handed_over({a}, {income}) == {a}
        assert registry.handed_over({a}, {adult}) == set()
        # Accepted: the sending unit keeps reading for a while (read access).
        accept_handover(actor=caseworker2, handover_id=transfer.pk)
        for case_ids, unit_ids in asks:
            assert registry.handed_over(case_ids, unit_ids) == _by_the_orm(case_ids, unit_ids)
        assert registry.handed_over({a}, {adult}) == {a}
        # The access expires: the moment is bound on every call, not kept.
        HandoverReadAccess.objects.filter(unit_id=adult).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        assert registry.handed_over({a}, {adult}) == set() == _by_the_orm({a}, {adult})
    # SQLite (a list of ids is a placeholder each) builds it on every call: 12 here.
    assert compiling.call_count == (1 if connection.vendor == "postgresql" else 12)
    assert registry.handed_over(set(), {adult}) == set() == registry.handed_over({a}, set())
