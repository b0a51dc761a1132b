"""The reminder task through the real Redis broker and a real worker process: sent
twice for the same day, the reminder is created and e-mailed once."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from bokvar.models import Notification
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData
from cases.evictions.tasks import send_deadline_reminders

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_reminders_through_worker_exactly_once(celery_worker, org, make_case):
    coordinator = org.users["coordinator"]
    case = make_case(unit_kind="housing_team", assignees=["coordinator"])
    day = timezone.localdate() - timedelta(days=5)
    threat = threats.create_threat(
        actor=coordinator,
        case_id=case.pk,
        data=ThreatData(termination_served_on=day, board_notified_on=day),
        today=day,
    )
    reminder_day = threat.recovery_deadline - timedelta(days=7)
    # The scheduler fires twice for the same moment: both reach the worker.
    first = send_deadline_reminders.delay(reminder_day.isoformat())
    second = send_deadline_reminders.delay(reminder_day.isoformat())
    assert sorted([first.get(timeout=60), second.get(timeout=60)]) == [0, 1]
    notes = Notification.objects.filter(kind="deadline_reminder")
    assert notes.count() == 1 and notes.get().recipient == coordinator
    # The e-mail goes out through the outbox, once.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        mails = [p for p in celery_worker.mail_dir.glob("*.log") if p.name != "worker.log"]
        if mails and notes.get().email_state == Notification.EmailState.SENT:
            break
        time.sleep(0.5)
    mails = [p for p in celery_worker.mail_dir.glob("*.log") if p.name != "worker.log"]
    text = "".join(p.read_text() for p in mails)
    assert f"/cases/{case.pk}/" in text  # the subject is MIME-encoded; the link is plain
    assert notes.get().email_state == Notification.EmailState.SENT
    # A late run the day after sends nothing new.
    assert (
        send_deadline_reminders.delay((reminder_day + timedelta(days=1)).isoformat()).get(
            timeout=60
        )
        == 0
    )
