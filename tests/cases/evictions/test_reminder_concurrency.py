"""Two reminder runs at the same moment, each in its own thread and connection: every
reminder exists once. Real concurrent transactions need PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from bokvar import scan
from bokvar.models import Notification
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData

pytestmark = pytest.mark.django_db(transaction=True)

D = timezone.localdate() - timedelta(days=60)


def race(*actions):
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


@pytest.fixture
def due(org, make_case):
    """Three cases whose recovery deadlines fall due on one day: assigned to one person,
    to two, and to nobody (then the adult unit's caseworker is reminded)."""
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL; SQLite serialises writers.")
    for assignees in (["caseworker"], ["caseworker", "guide"], []):
        case = make_case(assignees=assignees)
        threat = threats.create_threat(
            actor=org.users["coordinator"],
            case_id=case.pk,
            data=ThreatData(termination_served_on=D, board_notified_on=D),
            today=D,
        )
    return threat.recovery_deadline


# Due day, every lead time arrived: 3 rows for each of 4 recipients, of which one each
# (the due day's) is notified and the others kept silent.
EXPECTED = 4


def _assert_each_reminder_once():
    pairs = list(Notification.objects.values_list("recipient_id", "dedupe_key"))
    assert len(pairs) == len(set(pairs)) == 3 * EXPECTED
    assert Notification.objects.filter(kind="deadline_reminder").count() == EXPECTED


def test_two_runs_at_once_create_each_reminder_once(due):
    results = race(
        lambda: reminders.send_due_reminders(today=due),
        lambda: reminders.send_due_reminders(today=due),
    )
    # The runs take turns: one creates everything, the other finds it done.
    assert sorted(results) == [0, EXPECTED], results
    _assert_each_reminder_once()


def test_unserialised_runs_still_create_each_reminder_once(due, monkeypatch):
    """Without the lock that makes the counts exact, the unique constraint alone keeps
    the reminders to one each and neither run fails."""
    monkeypatch.setattr(scan, "serialise", lambda lock_key: None)
    results = race(
        lambda: reminders.send_due_reminders(today=due),
        lambda: reminders.send_due_reminders(today=due),
    )
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) >= EXPECTED
    _assert_each_reminder_once()
