"""Escalation through the real Redis broker and a real worker process: two runs at
the same moment create each step once, and the e-mails go out once."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from django.utils import timezone

from bokvar.models import Notification, Unit
from cases.handovers.tasks import escalate_handovers

from .conftest import send

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_escalation_through_worker_exactly_once(celery_worker, org, make_case):
    case = make_case(unit_kind=Unit.Kind.ADULT)
    handover = send(
        case,
        actor=org.users["caseworker"],
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        now=timezone.make_aware(datetime(2026, 4, 2, 10)),
    )
    when = timezone.make_aware(datetime(2026, 4, 8, 9)).isoformat()
    first, second = escalate_handovers.delay(when), escalate_handovers.delay(when)
    assert first.get(timeout=60) + second.get(timeout=60) == 2
    notes = Notification.objects.filter(kind="handover_escalation")
    assert {n.recipient.username for n in notes} == {"coordinator", "caseworker"}
    url = f"/cases/handovers/{handover.pk}/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(n.email_state == Notification.EmailState.SENT for n in notes.all()):
            break
        time.sleep(0.5)
    assert all(n.email_state == Notification.EmailState.SENT for n in notes.all())
    mails = [p for p in celery_worker.mail_dir.glob("*.log") if p.name != "worker.log"]
    # One mail per notification about this handover: the receiving unit's notice that
    # it was sent (to caseworker2) and the two escalations; none twice.
    assert Notification.objects.filter(url=url).count() == 3
    assert sum(p.read_text().count(url) for p in mails) == 3
