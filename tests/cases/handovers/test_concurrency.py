"""Two people deciding on one handover at once: one wins, the other is told. Real
threads on real connections, so this needs PostgreSQL's row locks."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from bokvar.models import Unit
from cases.handovers.services import deciding as services
from cases.models import Case, Handover, HandoverReadAccess

from .conftest import send

pytestmark = pytest.mark.django_db(transaction=True)


def race(*actions):
    """Run the actions at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Row locks (select_for_update) need PostgreSQL; SQLite serialises whole writes."
        )


def test_two_simultaneous_accepts(cases, org, caseworker, caseworker2, income_colleague):
    needs_postgresql()
    handover = send(cases.a, actor=caseworker, to_unit=org.units[Unit.Kind.INCOME_SUPPORT])
    results = race(
        lambda: services.accept_handover(actor=caseworker2, handover_id=handover.pk),
        lambda: services.accept_handover(actor=income_colleague, handover_id=handover.pk),
    )
    wins = [r for r in results if isinstance(r, Handover)]
    losses = [r for r in results if isinstance(r, services.HandoverConflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    assert "already accepted by" in losses[0].message or "redan" in losses[0].message
    assert HandoverReadAccess.objects.count() == 1
    assert Case.objects.get(pk=cases.a.pk).responsible_unit.kind == Unit.Kind.INCOME_SUPPORT
    assert Handover.objects.get().history.filter(status="accepted").count() == 1


def test_accept_racing_a_return(cases, org, caseworker, caseworker2, income_colleague):
    needs_postgresql()
    handover = send(cases.a, actor=caseworker, to_unit=org.units[Unit.Kind.INCOME_SUPPORT])
    results = race(
        lambda: services.accept_handover(actor=caseworker2, handover_id=handover.pk),
        lambda: services.return_handover(
            actor=income_colleague, handover_id=handover.pk, reason="Inte vår enhet"
        ),
    )
    wins = [r for r in results if isinstance(r, Handover)]
    losses = [r for r in results if isinstance(r, services.HandoverConflict)]
    assert len(wins) == 1 and len(losses) == 1, results
    handover.refresh_from_db()
    unit = Case.objects.get(pk=cases.a.pk).responsible_unit.kind
    if handover.status == Handover.Status.ACCEPTED:
        assert unit == Unit.Kind.INCOME_SUPPORT and HandoverReadAccess.objects.count() == 1
    else:
        assert handover.status == Handover.Status.RETURNED
        assert unit == Unit.Kind.ADULT and HandoverReadAccess.objects.count() == 0
