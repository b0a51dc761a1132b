"""Escalation exactly once per step, counted in Swedish working days across a weekend
and public holidays (Easter 2026: Good Friday 3 April, Easter Monday 6 April; the
calendar itself is tested in tests/bokvar/test_legal_calendar.py)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.models import Notification, Unit
from cases.handovers.services import deciding as services
from cases.handovers.services import escalation
from cases.models import Handover

from .conftest import send

pytestmark = pytest.mark.django_db


def at(y, m, d, h=9) -> datetime:
    return timezone.make_aware(datetime(y, m, d, h))


def keys(handover) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for note in Notification.objects.filter(
        dedupe_key__startswith=f"handover:{handover.pk}:escalation"
    ):
        out.setdefault(note.dedupe_key.rsplit(":", 1)[1], set()).add(note.recipient.username)
    return out


def test_escalation_once_per_step_across_easter(cases, org, caseworker):
    handover = send(
        cases.a,
        actor=caseworker,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        now=at(2026, 4, 2, 10),
    )
    # Fri (holiday), weekend, Mon (holiday), Tue: one working day only.
    for day in (3, 4, 5, 6, 7):
        assert escalation.escalate_overdue(now=at(2026, 4, day, 23)) == 0
    # Wednesday: second working day, step 1 to the coordinators and the sender.
    assert escalation.escalate_overdue(now=at(2026, 4, 8, 7)) == 2
    assert escalation.escalate_overdue(now=at(2026, 4, 8, 7)) == 0
    assert escalation.escalate_overdue(now=at(2026, 4, 9)) == 0
    assert keys(handover) == {"1": {"coordinator", "caseworker"}}
    # Friday: fourth working day, step 2; running twice sends it once.
    assert escalation.escalate_overdue(now=at(2026, 4, 10)) == 2
    assert escalation.escalate_overdue(now=at(2026, 4, 10, 15)) == 0
    assert keys(handover) == {
        "1": {"coordinator", "caseworker"},
        "2": {"coordinator", "caseworker"},
    }
    note = Notification.objects.filter(dedupe_key=escalation.dedupe_key(handover, 2)).first()
    assert cases.a.number in note.subject and "Astrid" not in note.subject + note.body
    assert note.email_state == Notification.EmailState.PENDING


def test_late_run_sends_every_arrived_step_once(cases, org, caseworker):
    handover = send(
        cases.a,
        actor=caseworker,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        now=at(2026, 11, 19, 16),
    )
    # Thu 19 Nov → step 1 Mon 23, step 2 Wed 25. The task first runs on the 26th.
    assert escalation.escalate_overdue(now=at(2026, 11, 26)) == 4
    assert escalation.escalate_overdue(now=at(2026, 11, 26)) == 0
    assert set(keys(handover)) == {"1", "2"}


def test_decided_handover_is_not_escalated(cases, org, caseworker, caseworker2):
    handover = send(
        cases.a,
        actor=caseworker,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        now=at(2026, 4, 2, 10),
    )
    services.accept_handover(actor=caseworker2, handover_id=handover.pk, now=at(2026, 4, 7))
    assert escalation.escalate_overdue(now=at(2026, 4, 20)) == 0
    assert Handover.objects.get().status == "accepted"


def test_escalation_task_and_beat_schedule(settings, cases, org, caseworker):
    from cases.handovers.tasks import escalate_handovers, revoke_handover_read_access

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"cases.escalate_handovers", "cases.revoke_handover_read_access"} <= tasks
    send(
        cases.a,
        actor=caseworker,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        now=at(2026, 4, 2, 10),
    )
    assert escalate_handovers(now=at(2026, 4, 8).isoformat()) == 2
    assert escalate_handovers(now=at(2026, 4, 8).isoformat()) == 0
    assert revoke_handover_read_access() == 0


def test_an_escalation_run_costs_the_same_queries_for_three_times_the_handovers(
    make_case, org, caseworker
):
    """Issue 14: escalation asked one query per handover and recipient; now the due rows are
    one query, the recipients a constant number, the notifications one batch."""
    income = org.units[Unit.Kind.INCOME_SUPPORT]

    def run(n_more: int) -> tuple[int, int]:
        for _ in range(n_more):
            send(make_case(assignees=["caseworker"]), actor=caseworker, to_unit=income,
                 now=at(2026, 4, 2, 10))  # fmt: skip
        Notification.objects.filter(kind="handover_escalation").delete()
        with CaptureQueriesContext(connection) as ctx:
            created = escalation.escalate_overdue(now=at(2026, 4, 8, 7))
        return created, len(ctx)

    created_n, queries_n = run(2)
    created_3n, queries_3n = run(4)
    # Step 1 to the district's coordinator and the sender, for each handover.
    assert (created_n, created_3n) == (2 * 2, 6 * 2)
    assert queries_n == queries_3n
