"""Deadline reminders. The database is the source of truth: each run looks at every
open deadline and, for the lead time that applies today, creates the reminder through
`notify`, whose (recipient, dedupe key) uniqueness makes it exactly once. Running twice
at once, late, or after dying halfway therefore sends each reminder once; a skipped
day is caught up by the next run (the most recent lead time that has arrived)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.notifications import notify
from cases.models import Case, Deadline, EvictionThreat

from . import selectors
from .threats import flag_children_at_risk


def lead_due(deadline: Deadline, *, today: date, leads: list[int]) -> int | None:
    """The smallest lead time whose reminder day has arrived, if the deadline is not past."""
    if deadline.due_on < today:
        return None
    arrived = [lead for lead in leads if deadline.due_on - timedelta(days=lead) <= today]
    return min(arrived) if arrived else None


def dedupe_key(deadline: Deadline, lead: int) -> str:
    # The due date is part of the key: a moved deadline is reminded about afresh.
    return f"deadline:{deadline.pk}:{deadline.due_on.isoformat()}:{lead}"


def send_due_reminders(*, today: date | None = None) -> int:
    today = today or timezone.localdate()
    leads = sorted(set(selectors.workflow_setting("REMINDER_LEAD_DAYS")))
    horizon = today + timedelta(days=max(leads))
    due = (
        Deadline.objects.filter(
            done_at__isnull=True,
            case__status=Case.Status.OPEN,
            due_on__gte=today,
            due_on__lte=horizon,
        )
        .select_related("case", "case__responsible_unit")
        .order_by("due_on", "id")
    )
    sent = 0
    for deadline in due:
        lead = lead_due(deadline, today=today, leads=leads)
        if lead is None:
            continue
        case = deadline.case
        sent += len(
            notify(
                recipients=selectors.responsible_staff(case),
                kind="deadline_reminder",
                dedupe_key=dedupe_key(deadline, lead),
                subject=_("%(kind)s in case %(number)s on %(date)s")
                % {
                    "kind": deadline.get_kind_display(),
                    "number": case.number,
                    "date": deadline.due_on.isoformat(),
                },
                body=_("Due in %(days)s days.") % {"days": (deadline.due_on - today).days},
                url=reverse("cases:detail", kwargs={"case_id": case.pk}),
            )
        )
    _flag_children(today)
    return sent


def _flag_children(today: date) -> None:
    """An eviction date recorded weeks ahead comes within the alert window later."""
    window = today + timedelta(days=selectors.workflow_setting("CHILD_EVICTION_ALERT_DAYS"))
    threats = (
        EvictionThreat.objects.filter(
            outcome="",
            eviction_on__gte=today,
            eviction_on__lte=window,
            case__status=Case.Status.OPEN,
            case__household__children__isnull=False,
        )
        .distinct()
        .select_related("case__responsible_unit", "case__household")
        .prefetch_related(Prefetch("case__household__children"))
    )
    for threat in threats:
        flag_children_at_risk(threat, case=threat.case, today=today)
