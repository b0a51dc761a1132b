"""Deadline reminders. The database is the source of truth: each run looks at every
open deadline and creates the reminder for each lead time whose day has arrived, keyed
per (recipient, deadline, due date, lead time) so that the unique constraint on
notifications makes each exactly once. Running twice at once, late, or after dying
halfway therefore sends each reminder once; reminders missed while the scheduler was
down are sent, late, by the next run, and their text says how things stand on the day
they go out. When several lead times of one deadline arrive in the same run, only the
most urgent is notified and e-mailed; the others get their row too (so they are never
sent later), marked as superseded, silent. A deadline more than REMINDER_CATCH_UP_DAYS
overdue whose due-day reminder never went out gets one "overdue" reminder instead, so
no reminder is silently lost however long the outage."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bokvar.models import Notification
from bokvar.notifications import SUPERSEDED, notify_many
from cases.models import Case, Deadline, EvictionThreat

from . import selectors
from .threats import flag_children_at_risk

# Any constant unique to this lock (the access log uses 7_700_001).
ADVISORY_LOCK_KEY = 7_700_004


def leads_due(due_on: date, *, today: date, leads: list[int], catch_up_days: int) -> list[int]:
    """Every lead time whose reminder day has arrived, unless the deadline is more than
    `catch_up_days` overdue (then one overdue reminder stands for them all)."""
    if (today - due_on).days > catch_up_days:
        return []
    return [lead for lead in leads if due_on - timedelta(days=lead) <= today]


def dedupe_key(deadline: Deadline, lead: int | str) -> str:
    return _key(deadline.pk, deadline.due_on, lead)


def _key(deadline_id: int, due_on: date, lead: int | str) -> str:
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
    """Create the reminders due on `today`; returns how many this run notified (superseded
    rows are not counted: nobody is told of them)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        _serialise_runs()
        notified, superseded = _reminders(today)
        sent = len(notify_many(notified))
        notify_many(superseded, email=False)
    _flag_children(today)
    return sent


def _serialise_runs() -> None:
    """Concurrent runs wait for each other, so a second run sees the first one's rows and
    reports 0 instead of racing it (the unique constraint alone would keep one row each,
    but both runs would count it). SQLite serialises writers itself."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def _reminders(today: date) -> tuple[list[Notification], list[Notification]]:
    """Unsaved reminders for every recipient and arrived lead time, in a constant number
    of queries: (to notify, superseded by a more urgent one of the same run)."""
    leads = sorted(set(selectors.workflow_setting("REMINDER_LEAD_DAYS")))
    catch_up = selectors.workflow_setting("REMINDER_CATCH_UP_DAYS")
    due = list(
        Deadline.objects.filter(
            done_at__isnull=True,
            case__status=Case.Status.OPEN,
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
    notified: list[Notification] = []
    superseded: list[Notification] = []
    long_overdue: list[Notification] = []
    now = timezone.now()
    for row in due:
        recipients = staff[row["case_id"]]
        if not recipients:
            continue

        def note(lead, user, *, row=row) -> Notification:
            return Notification(
                recipient=user,
                kind="deadline_reminder",
                dedupe_key=_key(row["id"], row["due_on"], lead),
                subject=_("%(kind)s in case %(number)s on %(date)s")
                % {
                    "kind": kinds[row["kind"]],
                    "number": row["case__number"],
                    "date": row["due_on"].isoformat(),
                },
                body=status_text(row["due_on"], today=today),
                url=reverse("cases:detail", kwargs={"case_id": row["case_id"]}),
            )

        if (today - row["due_on"]).days > catch_up:
            long_overdue.extend(note("overdue", user) for user in recipients)
            continue
        arrived = leads_due(row["due_on"], today=today, leads=leads, catch_up_days=catch_up)
        if not arrived:
            continue
        # The most urgent lead speaks for the run; earlier ones that arrived with it
        # are kept as rows (never sent later) but tell nobody.
        urgent, *older = arrived
        notified.extend(note(urgent, user) for user in recipients)
        for lead in older:
            for user in recipients:
                silent = note(lead, user)
                silent.kind = SUPERSEDED
                silent.read_at = now
                superseded.append(silent)
    return notified + _not_reminded(long_overdue, last_lead=leads[0]), superseded


def _not_reminded(overdue: list[Notification], *, last_lead: int) -> list[Notification]:
    """Overdue reminders for those whose last reminder before the deadline (the shortest
    lead time, normally the due day's) never went out. One query."""
    if not overdue:
        return []
    due_day = [n.dedupe_key.removesuffix("overdue") + str(last_lead) for n in overdue]
    reminded = set(
        Notification.objects.filter(
            recipient_id__in={n.recipient.pk for n in overdue},
            dedupe_key__in=set(due_day),
            kind="deadline_reminder",
        ).values_list("recipient_id", "dedupe_key")
    )
    return [
        n for n, key in zip(overdue, due_day, strict=True) if (n.recipient.pk, key) not in reminded
    ]


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
