"""Escalation of handovers nobody has decided on. Like the deadline reminders, the
database is the truth: each run computes, for every pending handover, which steps
have arrived (step k after k × N working days from the day it was sent) and creates
each step's notifications through `notify`, whose (recipient, dedupe key) uniqueness
makes every step exactly once, however often or late the task runs. A run that comes
late sends every step that has arrived and was not sent yet."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.notifications import notify
from cases.models import Handover
from cases.workflow.selectors import district_coordinators

from . import selectors
from .working_days import add_working_days

MAX_STEPS = 3


def arrived_steps(handover: Handover, *, now: datetime) -> list[int]:
    per_step = selectors.escalation_working_days()
    sent_on = timezone.localtime(handover.sent_at).date()
    today = timezone.localtime(now).date()
    return [
        step
        for step in range(1, MAX_STEPS + 1)
        if add_working_days(sent_on, step * per_step) <= today
    ]


def dedupe_key(handover: Handover, step: int) -> str:
    return f"handover:{handover.pk}:escalation:{step}"


def escalate_overdue(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    pending = (
        Handover.objects.filter(status=Handover.Status.PENDING, sent_at__lte=now)
        .select_related("case", "from_unit", "to_unit", "sent_by")
        .order_by("sent_at", "id")
    )
    created = 0
    for handover in pending:
        steps = arrived_steps(handover, now=now)
        if not steps:
            continue
        recipients = [*district_coordinators(handover.to_unit.district_id), handover.sent_by]
        for step in steps:
            created += len(
                notify(
                    recipients=[r for r in recipients if r.is_active],
                    kind="handover_escalation",
                    dedupe_key=dedupe_key(handover, step),
                    subject=_("Not acknowledged (step %(step)s): %(what)s")
                    % {"step": step, "what": selectors.describe(handover)},
                    body=_("Sent %(date)s and still waiting for a decision.")
                    % {"date": timezone.localtime(handover.sent_at).date().isoformat()},
                    url=reverse("cases:handover", kwargs={"handover_id": handover.pk}),
                )
            )
    return created
