"""The whole path: a signal through the API → triage into a new case → termination and
board notice → recovery deadline → reminders exactly once → payment → outcome → closed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from bokvar.legal_calendar import statutory_last_day
from bokvar.models import Notification
from bokvar.notifications import SUPERSEDED
from cases.core.services.cases import close_case
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData, recovery_deadline
from cases.models import Case, Deadline, EvictionThreat, LandlordSignal

from .conftest import TENANT_PN

pytestmark = pytest.mark.django_db

# A fixed Wednesday in the past: nothing is "in the future" for the real clock, and the
# reminder days of its deadlines (Wednesday + 21 and + 23 days, less 7 and 2) are working
# days, so no reminder moves to the working day before (lag 1930:173 2 §; that rule has
# its own dated scenarios in test_deadline_golden.py).
D = date(2026, 9, 2)


def _reminders(case) -> list[Notification]:
    return list(Notification.objects.filter(kind="deadline_reminder").order_by("id"))


def test_recovery_deadline_counts_from_the_later_date(settings):
    assert recovery_deadline(D, D - timedelta(days=2)) == statutory_last_day(D + timedelta(days=21))
    assert recovery_deadline(D, D + timedelta(days=2)) == statutory_last_day(D + timedelta(days=23))
    # NJA 1985 s. 586: no period until the board has had its notice.
    assert recovery_deadline(D, None) is None
    assert recovery_deadline(None, D) is None
    settings.BOKVAR = {**settings.BOKVAR, "RECOVERY_PERIOD_DAYS": 30}
    assert recovery_deadline(D, D) == statutory_last_day(D + timedelta(days=30))


@pytest.mark.parametrize(
    ("board_offset", "deadline_offset"), [(-2, 21), (2, 23)], ids=["board-before", "board-after"]
)
def test_signal_to_closed_case(org, token, api_as, signal_payload, board_offset, deadline_offset):
    coordinator = org.users["coordinator"]
    # 1. The landlord's system reports the signal.
    response = api_as(token).post(
        "/api/v1/signals/",
        signal_payload(received_on=(D - timedelta(days=20)).isoformat()),
        format="json",
    )
    assert response.status_code == 201, response.content
    signal = LandlordSignal.objects.get(pk=response.json()["id"])
    assert signal.status == LandlordSignal.Status.UNTRIAGED
    assert signal.channel == LandlordSignal.Channel.API

    # 2. The coordinator triages it into a new case over HTTP.
    client = api_as(user=coordinator)
    response = client.post(
        reverse("cases:signal_open_case", args=[signal.pk]),
        {
            "given_name": "Tove",
            "family_name": "Hyresgästsson",
            "personal_number": "",
            "responsible_unit": org.units["housing_team"].pk,
            "assignees": [coordinator.pk],
            "version": signal.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    signal.refresh_from_db()
    case = signal.case
    assert signal.status == LandlordSignal.Status.OPENED
    assert case.household.head.personal_number == TENANT_PN

    # 3. Termination served on D, the board notified on D ± 2.
    threat = threats.create_threat(
        actor=coordinator,
        case_id=case.pk,
        data=ThreatData(
            arrears_notice_on=D - timedelta(days=10),
            termination_served_on=D,
            board_notified_on=D + timedelta(days=board_offset),
            recovery_amount=25000,
        ),
        today=D + timedelta(days=3),
    )
    due = D + timedelta(days=deadline_offset)
    assert threat.recovery_deadline == due
    deadline = Deadline.objects.get(threat=threat, kind=Deadline.Kind.RECOVERY)
    assert deadline.due_on == due

    # 4. Reminders at due−7, due−2 and due, each once: the scheduler runs twice for every
    # moment, and is down on two reminder days (due−7 and due itself), whose reminders
    # the next run sends, late.
    down = {due - timedelta(days=7), due}
    sent_on: dict[date, int] = {}
    for offset in range(0, deadline_offset + 3):
        day = D + timedelta(days=offset)
        if day in down:
            continue
        sent_on[day] = reminders.send_due_reminders(today=day)
        assert reminders.send_due_reminders(today=day) == 0  # run twice: nothing doubled
    sent_late = {
        due - timedelta(days=6): "7",
        due - timedelta(days=2): "2",
        due + timedelta(days=1): "0",
    }
    assert {day: n for day, n in sent_on.items() if n} == dict.fromkeys(sent_late, 1)
    notes = _reminders(case)
    assert len(notes) == 3
    assert [n.dedupe_key.rsplit(":", 1)[1] for n in notes] == list(sent_late.values())
    assert {n.recipient for n in notes} == {coordinator}
    assert case.number in notes[0].subject and "Tove" not in notes[0].subject

    # 5. Payment recorded, outcome "recovered by payment", case closed.
    threat = threats.update_threat(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(
            arrears_notice_on=threat.arrears_notice_on,
            termination_served_on=threat.termination_served_on,
            board_notified_on=threat.board_notified_on,
            recovery_amount=threat.recovery_amount,
            paid_on=D + timedelta(days=15),
            outcome=EvictionThreat.Outcome.RECOVERED_BY_PAYMENT,
        ),
        today=D + timedelta(days=16),
    )
    assert threat.stage == EvictionThreat.Stage.CONCLUDED
    deadline.refresh_from_db()
    assert deadline.done_at is not None
    case = close_case(
        actor=coordinator,
        case_id=case.pk,
        expected_version=Case.objects.get(pk=case.pk).version,
        outcome=Case.Outcome.RECOVERED_BY_PAYMENT,
        closed_on=timezone.localdate(),
    )
    assert case.status == Case.Status.CLOSED
    assert case.outcome == Case.Outcome.RECOVERED_BY_PAYMENT


def _threat_due(org, make_case, *, assignees=("caseworker",), served_on=D) -> date:
    case = make_case(assignees=list(assignees))
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=served_on, board_notified_on=served_on),
        today=served_on,
    )
    return threat.recovery_deadline


def _sent() -> list[tuple[str, str]]:
    """(lead time, body) of each reminder, oldest first."""
    return [
        (key.rsplit(":", 1)[1], body)
        for key, body in Notification.objects.filter(kind="deadline_reminder")
        .order_by("id")
        .values_list("dedupe_key", "body")
    ]


def _reads_english() -> None:
    # Notices are written in the recipient's language (issue 19): these tests read English.
    from bokvar.models import User

    User.objects.update(language="en")


def test_skipping_several_days_sends_each_missed_reminder_once_late(org, make_case):
    due = _threat_due(org, make_case)
    _reads_english()
    # Down from due−8 to due−1: the run on due−1 finds the 7- and the 2-day reminder
    # arrived; it sends the more urgent one, late, saying how things stand that day, and
    # keeps the 7-day one as a silent row so it is never sent later either.
    with translation.override("en"):
        assert reminders.send_due_reminders(today=due - timedelta(days=8)) == 0
        assert reminders.send_due_reminders(today=due - timedelta(days=1)) == 1
        assert reminders.send_due_reminders(today=due - timedelta(days=1)) == 0
        ((lead, text),) = _sent()
        assert lead == "2" and text.startswith("Due in 1 day (")
        assert reminders.send_due_reminders(today=due) == 1
        assert reminders.send_due_reminders(today=due + timedelta(days=1)) == 0
    assert _sent()[-1] == ("0", "Due today.")
    assert _superseded() == ["7"]
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert recipients == {org.users["caseworker"].pk}


def _superseded() -> list[str]:
    return [
        key.rsplit(":", 1)[1]
        for key in Notification.objects.filter(kind=SUPERSEDED)
        .order_by("dedupe_key")
        .values_list("dedupe_key", flat=True)
    ]


@pytest.mark.parametrize(
    ("days_late", "lead"), [(1, "0"), (3, "0"), (4, "overdue"), (400, "overdue")]
)
def test_deadline_passed_during_downtime_is_reminded_however_long_the_outage(
    org, make_case, settings, days_late, lead
):
    settings.BOKVAR = {**settings.BOKVAR, "REMINDER_CATCH_UP_DAYS": 3}
    due = _threat_due(org, make_case, served_on=D - timedelta(days=days_late))
    _reads_english()
    assert reminders.send_due_reminders(today=due - timedelta(days=2)) == 1
    # Down from due−1 until due + days_late: the day-0 reminder comes late within the
    # catch-up window; beyond it one "overdue" reminder stands for it. Never lost.
    with translation.override("en"):
        assert reminders.send_due_reminders(today=due + timedelta(days=days_late)) == 1
        assert reminders.send_due_reminders(today=due + timedelta(days=days_late)) == 0
        assert reminders.send_due_reminders(today=due + timedelta(days=days_late + 9)) == 0
    expected = "Overdue by 1 day (" if days_late == 1 else f"Overdue by {days_late} days ("
    assert _sent()[-1][0] == lead and _sent()[-1][1].startswith(expected)
    assert len(_sent()) == 2
    deadline = Deadline.objects.get()
    assert deadline.done_at is None  # still open, on "My deadlines"


def test_no_overdue_reminder_after_the_due_day_reminder_went_out(org, make_case, settings):
    settings.BOKVAR = {**settings.BOKVAR, "REMINDER_CATCH_UP_DAYS": 3}
    due = _threat_due(org, make_case, served_on=D - timedelta(days=30))
    assert reminders.send_due_reminders(today=due) == 1
    assert reminders.send_due_reminders(today=due + timedelta(days=10)) == 0
    assert [lead for lead, _ in _sent()] == ["0"]


def test_catch_up_tells_once_for_all_missed_leads_of_a_passed_deadline(org, make_case, login):
    due = _threat_due(org, make_case)
    caseworker = org.users["caseworker"]
    # Down for the whole run-up: one reminder, one e-mail, on the first run back; the
    # earlier leads keep their rows, silent, so no later run sends them.
    assert reminders.send_due_reminders(today=due + timedelta(days=2)) == 1
    assert reminders.send_due_reminders(today=due + timedelta(days=3)) == 0
    assert [lead for lead, _ in _sent()] == ["0"]
    assert _superseded() == ["2", "7"]
    states = dict(
        Notification.objects.values_list("kind", "email_state").order_by("kind").distinct()
    )
    assert states == {
        "deadline_reminder": Notification.EmailState.PENDING,
        SUPERSEDED: Notification.EmailState.NONE,
    }
    assert not Notification.objects.filter(kind=SUPERSEDED, read_at__isnull=True).exists()
    page = login(caseworker).get(reverse("notifications"))
    assert [n.kind for n in page.context["page"]] == ["deadline_reminder"]
    from bokvar.notifications import unread_count

    assert unread_count(caseworker) == 1


def test_reminder_text(settings):
    due = date(2025, 3, 10)
    with translation.override("en"):
        assert reminders.status_text(due, today=due) == "Due today."
        # Monday 10 March 2025: from Saturday two days, one working day.
        assert reminders.status_text(due, today=due - timedelta(days=2)) == (
            "Due in 2 days (1 working day)."
        )
        assert reminders.status_text(due, today=due + timedelta(days=1)) == (
            "Overdue by 1 day (1 working day)."
        )
    with translation.override("sv"):
        assert reminders.status_text(due, today=due) == "Förfaller i dag."
        assert reminders.status_text(due, today=due + timedelta(days=5)) == (
            "Försenad med 5 dagar (4 arbetsdagar)."
        )


def test_unassigned_case_reminds_the_unit(org, make_case):
    case = make_case(assignees=[])
    threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=D, board_notified_on=D),
        today=D,
    )
    reminders.send_due_reminders(today=D + timedelta(days=21))
    recipients = set(
        Notification.objects.filter(kind="deadline_reminder").values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"caseworker"}  # the adult unit's staff


def test_reminder_lost_halfway_is_sent_on_the_next_run(org, make_case):
    """A run that dies after reminding one of two people: the next run reminds the other."""
    case = make_case(assignees=["caseworker", "guide"])
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=D, board_notified_on=D),
        today=D,
    )
    deadline = threat.deadlines.get()
    # Two leads arrived (7 and 2): one reminder each to two people, the 7-day ones silent.
    assert reminders.send_due_reminders(today=deadline.due_on - timedelta(days=2)) == 2
    from bokvar.notifications import notify

    notify(
        recipients=[org.users["caseworker"]],
        kind="deadline_reminder",
        dedupe_key=reminders.dedupe_key(deadline.pk, deadline.due_on, 0),
        subject="x",
    )
    assert reminders.send_due_reminders(today=deadline.due_on) == 1
    assert Notification.objects.filter(kind="deadline_reminder").count() == 4
    assert Notification.objects.filter(kind=SUPERSEDED).count() == 2
