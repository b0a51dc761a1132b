"""Escalation of handovers nobody has decided on, through the kernel's scan-and-notify job
(`bokvar.scan`). For every pending handover a run works out which steps have arrived
(step k after k × `HANDOVER_ESCALATION_WORKING_DAYS` Swedish working days from the day it
was sent, at most `MAX_STEPS`) and tells the receiving district's coordinators and the
sender, keyed per (handover, step): each step exactly once, however often or late the task
runs. A run that comes late sends every step that has arrived and was not sent yet."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar import scan
from bokvar.conf import setting
from bokvar.legal_calendar import add_working_days
from bokvar.models import User
from bokvar.selectors import coordinators_by_district
from cases.models import Handover

from .. import selectors

MAX_STEPS = selectors.ESCALATION_STEPS


def arrived_steps(handover: Handover, *, now: datetime) -> list[int]:
    per_step = setting("HANDOVER_ESCALATION_WORKING_DAYS")
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
    """Notify every escalation step that has arrived; returns how many notifications this
    run created."""
    return scan.run(ESCALATION, at=now or timezone.now())


def _due(now: datetime) -> list[Handover]:
    return list(
        Handover.objects.filter(status=Handover.Status.PENDING, sent_at__lte=now)
        .select_related("case", "from_unit", "to_unit", "sent_by")
        .order_by("sent_at", "id")
    )


def _recipients(handovers: Sequence[Handover]) -> dict[int, list[User]]:
    """The coordinators of each receiving district (one query); the sender is on the row."""
    return coordinators_by_district({h.to_unit.district_id for h in handovers})


def _notices(
    handovers: Sequence[Handover], coordinators: Mapping[int, list[User]], now: datetime
) -> Iterator[scan.Notice]:
    for handover in handovers:
        steps = arrived_steps(handover, now=now)
        if not steps:
            continue
        people = [*coordinators.get(handover.to_unit.district_id, []), handover.sent_by]
        # The same words and link for every step and recipient: made once per handover
        # (resolving the URL and describing the handover were most of a run's time).
        what = selectors.describe(handover)
        body = _("Sent %(date)s and still waiting for a decision.") % {
            "date": timezone.localtime(handover.sent_at).date().isoformat()
        }
        url = reverse("cases:handover", kwargs={"handover_id": handover.pk})
        for step in steps:
            subject = _("Not acknowledged (step %(step)s): %(what)s") % {
                "step": step,
                "what": what,
            }
            for user in people:
                if not user.is_active:
                    continue
                yield scan.Notice(
                    recipient=user,
                    kind="handover_escalation",
                    dedupe_key=dedupe_key(handover, step),
                    subject=subject,
                    body=body,
                    url=url,
                )


ESCALATION = scan.Scan(
    name="handover escalation",
    lock_key=7_700_005,
    due=_due,
    recipients=_recipients,
    notices=_notices,
)
