"""The reminder job (issue 22, point 5): its queries do not grow with the deadlines due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.models import Notification
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData

pytestmark = pytest.mark.django_db

D = timezone.localdate() - timedelta(days=60)


def test_the_reminder_job_costs_the_same_queries_for_three_times_the_deadlines(org, make_case):
    def add(n: int):
        for _ in range(n):
            threat = threats.create_threat(
                actor=org.users["coordinator"],
                case_id=make_case(assignees=["caseworker"]).pk,
                data=ThreatData(termination_served_on=D, board_notified_on=D),
                today=D,
            )
        return threat.recovery_deadline

    def run(due) -> tuple[int, int]:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            sent = reminders.send_due_reminders(today=due)
        return sent, len(ctx)

    due = add(2)
    sent_n, queries_n = run(due)
    add(4)
    sent_3n, queries_3n = run(due)
    assert sent_n > 0 and sent_3n == 3 * sent_n
    assert queries_3n == queries_n
