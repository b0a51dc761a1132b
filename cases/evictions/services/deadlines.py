"""Deadlines and their reminders.

A deadline is a row: the legal dates of a threat (kept in step by `threats`) and the
follow-ups agreed at a contact. Responsible staff are reminded of each open deadline of an
open case at every lead time (`REMINDER_LEAD_DAYS`, e.g. a week, two days and the day
itself; a reminder whose day is not a working day goes out on the working day before),
through the kernel's scan-and-notify job (`bokvar.scan`): each reminder is keyed
per (recipient, deadline, due date, lead time), so it goes out exactly once however often,
late or concurrently the task runs; reminders missed while the scheduler was down are sent,
late, by the next run, and their text says how things stand on the day they go out. When
several lead times of one deadline arrive in the same run, only the most urgent is
notified and e-mailed; the others get their row too (so they are never sent later), silent.
A deadline more than `REMINDER_CATCH_UP_DAYS` overdue whose due-day reminder never went
out gets one "overdue" reminder instead, so no reminder is silently lost however long the
outage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bokvar import scan
from bokvar.conf import setting
from bokvar.history import attribute
from bokvar.legal_calendar import working_day_on_or_before, working_days_between
from bokvar.models import User
from cases.core.selectors.cases import responsible_staff_by_case
from cases.models import Case, Deadline

from .. import selectors
from .threats import CHILDREN_AT_RISK


def add_follow_up(*, actor: User, case: Case, due_on: date, note: str = "") -> Deadline:
    deadline = Deadline(case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=due_on, note=note.strip())
    deadline.full_clean()
    attribute(deadline, user=actor, reason="follow-up agreed").save()
    return deadline


@transaction.atomic
def complete_deadline(*, actor: User, deadline_id: int) -> Deadline:
    deadline = selectors.get_deadline_for_user(actor, deadline_id)
    deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if deadline.done_at is None:
        deadline.done_at = timezone.now()
        attribute(deadline, user=actor, reason="deadline done").save(update_fields=["done_at"])
    return deadline


# --- Reminders --------------------------------------------------------------------------


def send_due_reminders(*, today: date | None = None) -> int:
    """Send the reminders due on `today` and flag children at risk whose eviction date has
    come within the window; returns how many reminders this run notified (silent rows are
    not counted: nobody is told of them)."""
    today = today or timezone.localdate()
    sent = scan.run(REMINDERS, at=today)
    scan.run(CHILDREN_AT_RISK, at=today)
    return sent


# A reminder's day moves back to a working day by at most this many days (Christmas Eve
# to Boxing Day plus a weekend is the longest run of non-working days).
_LONGEST_NON_WORKING_RUN = 7


def reminder_day(due_on: date, lead: int) -> date:
    """The day the `lead`-day reminder of a deadline goes out: `lead` calendar days
    before it, or the working day before that when that day is a weekend, a public
    holiday or an eve of lag (1930:173) 2 § (nobody reads a reminder sent on a Saturday,
    and "two days before" must not shrink to nothing over a weekend)."""
    return working_day_on_or_before(due_on - timedelta(days=lead))


def leads_due(due_on: date, *, today: date, leads: list[int], catch_up_days: int) -> list[int]:
    """Every lead time whose reminder day has arrived, unless the deadline is more than
    `catch_up_days` overdue (then one overdue reminder stands for them all)."""
    if (today - due_on).days > catch_up_days:
        return []
    return [lead for lead in leads if reminder_day(due_on, lead) <= today]


def dedupe_key(deadline_id: int, due_on: date, lead: int | str) -> str:
    # The due date is part of the key: a moved deadline is reminded about afresh.
    return f"deadline:{deadline_id}:{due_on.isoformat()}:{lead}"


def status_text(due_on: date, *, today: date) -> str:
    """How a deadline stands on `today`, in calendar days and working days: the words of
    the reminder e-mails, the threat panel and "My deadlines" alike (one wording)."""
    days = (due_on - today).days
    if days == 0:
        return _("Due today.")
    working = abs(working_days_between(today, due_on))
    counts = {
        "calendar": ngettext("%(count)s day", "%(count)s days", abs(days)) % {"count": abs(days)},
        "working": ngettext("%(count)s working day", "%(count)s working days", working)
        % {"count": working},
    }
    if days > 0:
        return _("Due in %(calendar)s (%(working)s).") % counts
    return _("Overdue by %(calendar)s (%(working)s).") % counts


def _leads() -> list[int]:
    return sorted(set(setting("REMINDER_LEAD_DAYS")))


def _due(today: date) -> list[scan.ValuesRow]:
    """Open deadlines of open cases whose earliest reminder day has come. Plain values:
    the encrypted note is never needed, so never decrypted."""
    return list(
        Deadline.objects.filter(
            done_at__isnull=True,
            case__status=Case.Status.OPEN,
            due_on__lte=today + timedelta(days=max(_leads()) + _LONGEST_NON_WORKING_RUN),
        )
        .values("id", "kind", "due_on", "case_id", "case__number", "case__responsible_unit_id")
        .order_by("due_on", "id")
    )


def _recipients(rows: Sequence[scan.ValuesRow]) -> dict[int, list[User]]:
    """Who is reminded: each case's assigned staff, else its unit's staff (two queries)."""
    return responsible_staff_by_case(
        {row["case_id"]: row["case__responsible_unit_id"] for row in rows}
    )


def _notices(
    rows: Sequence[scan.ValuesRow], staff: Mapping[int, list[User]], today: date
) -> Iterator[scan.Notice]:
    leads = _leads()
    catch_up = setting("REMINDER_CATCH_UP_DAYS")
    kinds = dict(Deadline.Kind.choices)
    for row in rows:

        def notice(
            lead: int | str, user: User, *, row: scan.ValuesRow = row, **extra: Any
        ) -> scan.Notice:
            return scan.Notice(
                recipient=user,
                kind="deadline_reminder",
                dedupe_key=dedupe_key(row["id"], row["due_on"], lead),
                subject=_("%(kind)s in case %(number)s on %(date)s")
                % {
                    "kind": kinds[row["kind"]],
                    "number": row["case__number"],
                    "date": row["due_on"].isoformat(),
                },
                body=status_text(row["due_on"], today=today),
                url=reverse("cases:detail", kwargs={"case_id": row["case_id"]}),
                **extra,
            )

        recipients = staff.get(row["case_id"], [])
        if (today - row["due_on"]).days > catch_up:
            # Long overdue: one reminder, unless the last one before the deadline (the
            # shortest lead time, normally the due day's) went out.
            due_day = dedupe_key(row["id"], row["due_on"], leads[0])
            yield from (notice("overdue", user, unless_told=due_day) for user in recipients)
            continue
        arrived = leads_due(row["due_on"], today=today, leads=leads, catch_up_days=catch_up)
        if not arrived:
            continue
        # The most urgent lead speaks for the run; earlier ones that arrived with it are
        # kept as rows (never sent later) but tell nobody.
        urgent, *older = arrived
        yield from (notice(urgent, user) for user in recipients)
        for lead in older:
            yield from (notice(lead, user, silent=True) for user in recipients)


REMINDERS = scan.Scan(
    name="deadline reminders",
    lock_key=7_700_004,
    due=_due,
    recipients=_recipients,
    notices=_notices,
)
