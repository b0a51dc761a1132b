"""Issue 15 point 5: the threat panel and "My deadlines" tell the truth. The most urgent
open date comes first; each date gives its days left in calendar days AND working days
in the words the reminder e-mails use; an eviction date within 14 days is as prominent
as the recovery deadline (and says so when children live in the household); a closed
deadline is never shown as pending; an eviction date before the recovery period ends is
flagged. Dates are relative to today (the pages read the clock)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from bokvar.legal_calendar import statutory_last_day
from bokvar.models import Notification
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData
from cases.models import Deadline

pytestmark = pytest.mark.django_db


@translation.override("en")
def test_status_gives_calendar_and_working_days():
    # Monday 7 December 2026 to Friday 11 December: four days, four working days.
    text = reminders.status_text(date(2026, 12, 11), today=date(2026, 12, 7))
    assert "4 days" in text and "4 working days" in text
    # Friday 3 April 2026 (Good Friday) to Tuesday 7 April: four days, one working day.
    text = reminders.status_text(date(2026, 4, 7), today=date(2026, 4, 3))
    assert "4 days" in text and "1 working day" in text
    text = reminders.status_text(date(2026, 12, 4), today=date(2026, 12, 7))
    assert "Overdue by 3 days" in text and "1 working day" in text


def test_reminder_email_and_my_deadlines_use_the_same_words(org, make_case, login):
    case = make_case(assignees=["coordinator"])
    today = timezone.localdate()
    due = today + timedelta(days=1)
    while (due - today).days < 3 or due.weekday() > 4:
        due += timedelta(days=1)
    Deadline.objects.create(case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=due)
    reminders.send_due_reminders(today=today)
    note = Notification.objects.get(kind="deadline_reminder", recipient=org.users["coordinator"])
    words = reminders.status_text(due, today=today)
    assert note.body == words and ("working day" in words or "arbetsdag" in words)
    page = login(org.users["coordinator"]).get(reverse("cases:deadlines")).content.decode()
    assert words in page
    # The page says it once, not the e-mail's words plus a second count of its own.
    rest = page.replace(words, "")
    assert "working day" not in rest and "arbetsdag" not in rest


def _threat(org, case, **dates):
    return threats.create_threat(
        actor=org.users["coordinator"], case_id=case.pk, data=ThreatData(**dates)
    )


def _started(days_ago: int) -> dict:
    day = timezone.localdate() - timedelta(days=days_ago)
    return {"termination_served_on": day, "board_notice_given_on": day}


def test_most_urgent_banner_first(org, make_case, login):
    today = timezone.localdate()
    client = login(org.users["coordinator"])
    # Recovery deadline in about a week, eviction date a few days after it (not before:
    # that would be flagged): the recovery deadline comes first.
    case = make_case()
    threat = _threat(org, case, **_started(15))
    _threat_update = threat.recovery_deadline + timedelta(days=3)
    assert (_threat_update - today).days <= 14
    threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(**_started(15), eviction_on=_threat_update),
    )
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'id="recovery-banner"' in html and 'id="eviction-banner"' in html
    assert html.index('id="recovery-banner"') < html.index('id="eviction-banner"')
    # An eviction date sooner than the recovery deadline comes first, and is flagged.
    other = make_case(children=[2019])
    threat = _threat(org, other, **_started(2), eviction_on=today + timedelta(days=4))
    assert threat.recovery_deadline > today + timedelta(days=4)
    html = client.get(reverse("cases:detail", args=[other.pk])).content.decode()
    assert html.index('id="eviction-banner"') < html.index('id="recovery-banner"')
    assert "Children live in the household" in html or "Barn bor i hushållet" in html
    assert 'id="eviction-before-recovery"' in html


def test_closed_recovery_deadline_is_not_pending(org, make_case, login):
    today = timezone.localdate()
    case = make_case()
    started = _started(10)
    threat = _threat(org, case, **started, paid_on=today - timedelta(days=1))
    assert threat.recovery_deadline >= today
    row = Deadline.objects.get(threat=threat, kind=Deadline.Kind.RECOVERY)
    assert row.done_at is not None
    html = login(org.users["coordinator"]).get(reverse("cases:detail", args=[case.pk]))
    html = html.content.decode()
    assert 'id="recovery-banner"' not in html
    # Not "has not started" either: it started and was closed by the payment in time.
    assert 'id="recovery-not-started"' not in html
    assert 'id="recovery-closed"' in html


def test_my_deadlines_as_prominent_as_the_panel(org, make_case, login):
    today = timezone.localdate()
    case = make_case(children=[2019], assignees=["coordinator"])
    _threat(org, case, **_started(2), eviction_on=today + timedelta(days=4))
    html = login(org.users["coordinator"]).get(reverse("cases:deadlines")).content.decode()
    rows = {d.kind: d.pk for d in Deadline.objects.filter(case=case)}
    eviction = html.index(f'id="deadline-{rows[Deadline.Kind.EVICTION]}"')
    recovery = html.index(f'id="deadline-{rows[Deadline.Kind.RECOVERY]}"')
    # Soonest first; the eviction date is urgent, with children, and flagged as before
    # the end of the recovery period.
    assert eviction < recovery
    row = html[eviction : html.index("</tr>", eviction)]
    assert "<strong>" in row and ("Children" in row or "Barn" in row)
    assert 'class="eviction-before-recovery"' in row
    assert statutory_last_day(today) <= statutory_last_day(today + timedelta(days=30))
