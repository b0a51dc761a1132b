"""Deadline reminders. The database is the source of truth: each run looks at every
open deadline and creates the reminder for each lead time whose day has arrived, keyed
per (recipient, deadline, due date, lead time) so that the unique constraint on
notifications makes each exactly once. Running twice at once, late, or after dying
halfway therefore sends each reminder once; reminders missed while the scheduler was
down are sent, late, by the next run, also for deadlines that passed meanwhile (within
REMINDER_CATCH_UP_DAYS), and their text says how things stand on the day they go out."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bokvar.models import Notification
from bokvar.notifications import notify_many
from cases.models import Case, Deadline, EvictionThreat

from . import selectors
from .threats import flag_children_at_risk

# Any constant unique to this lock (the access log uses 7_700_001).
ADVISORY_LOCK_KEY = 7_700_004


def leads_due(due_on: date, *, today: date, leads: list[int], catch_up_days: int) -> list[int]:
    """Every lead time whose reminder day has arrived, unless the deadline is more than
    `catch_up_days` overdue (then reminding is no longer news: it is on "My deadlines")."""
    if (today - due_on).days > catch_up_days:
        return []
    return [lead for lead in leads if due_on - timedelta(days=lead) <= today]


def dedupe_key(deadline: Deadline, lead: int) -> str:
    return _key(deadline.pk, deadline.due_on, lead)


def _key(deadline_id: int, due_on: date, lead: int) -> str:
    # The due date is part of the key: a moved deadline is reminded about afresh.
    return f"deadline:{deadline_id}:{due_on.isoformat()}:{lead}"


def status_text(due_on: date, *, today: date) -> str:
    days = (due_on - today).days
    if days == 0:
        return _("Due today.")
    if days > 0:
        return ngettext("Due in %(days)s day.", "Due in %(days)s days.", days) % {"days": days}
    return ngettext("Overdue by %(days)s day.", "Overdue by %(days)s days.", -days) % {
        "days": -days
    }


def send_due_reminders(*, today: date | None = None) -> int:
    """Create the reminders due on `today`; returns how many this run created."""
    today = today or timezone.localdate()
    with transaction.atomic():
        _serialise_runs()
        sent = len(notify_many(_reminders(today)))
    _flag_children(today)
    return sent


def _serialise_runs() -> None:
    """Concurrent runs wait for each other, so a second run sees the first one's rows and
    reports 0 instead of racing it (the unique constraint alone would keep one row each,
    but both runs would count it). SQLite serialises writers itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def _reminders(today: date) -> list[Notification]:
    """Unsaved reminders for every recipient and arrived lead time, in three queries."""
    # Longest lead first: several late reminders are created in the order they fell due.
    leads = sorted(set(selectors.workflow_setting("REMINDER_LEAD_DAYS")), reverse=True)
    catch_up = selectors.workflow_setting("REMINDER_CATCH_UP_DAYS")
    due = list(
        Deadline.objects.filter(
            done_at__isnull=True,
            case__status=Case.Status.OPEN,
            due_on__gte=today - timedelta(days=catch_up),
            due_on__lte=today + timedelta(days=max(leads)),
        )
        # Plain values: the encrypted note is never needed, so never decrypted.
        .values("id", "kind", "due_on", "case_id", "case__number", "case__responsible_unit_id")
        .order_by("due_on", "id")
    )
    staff = selectors.responsible_staff_by_case(
        {row["case_id"]: row["case__responsible_unit_id"] for row in due}
    )
    kinds = dict(Deadline.Kind.choices)
    notes = []
    for row in due:
        arrived = leads_due(row["due_on"], today=today, leads=leads, catch_up_days=catch_up)
        recipients = staff[row["case_id"]]
        if not (arrived and recipients):
            continue
        subject = _("%(kind)s in case %(number)s on %(date)s") % {
            "kind": kinds[row["kind"]],
            "number": row["case__number"],
            "date": row["due_on"].isoformat(),
        }
        body = status_text(row["due_on"], today=today)
        url = reverse("cases:detail", kwargs={"case_id": row["case_id"]})
        notes.extend(
            Notification(
                recipient=user,
                kind="deadline_reminder",
                dedupe_key=_key(row["id"], row["due_on"], lead),
                subject=subject,
                body=body,
                url=url,
            )
            for lead in arrived
            for user in recipients
        )
    return notes


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
