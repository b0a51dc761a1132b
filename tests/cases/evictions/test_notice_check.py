"""NJA 1985 s. 586: a notice of termination that lacks the information on the right to
recover does not start the recovery period; the concluded date is set once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from bokvar.legal_calendar import statutory_last_day
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData, recovery_deadline
from cases.models import Deadline, EvictionThreat

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SERVED, NOTIFIED = TODAY - timedelta(days=5), TODAY - timedelta(days=3)


def test_the_deadline_needs_a_notice_not_known_to_be_defective():
    assert recovery_deadline(SERVED, NOTIFIED, "") == statutory_last_day(
        NOTIFIED + timedelta(days=21)
    )
    assert recovery_deadline(SERVED, NOTIFIED, "correct") == statutory_last_day(
        NOTIFIED + timedelta(days=21)
    )
    assert recovery_deadline(SERVED, NOTIFIED, "defective") is None


def _threat(org, case, notice=""):
    return threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=SERVED, board_notified_on=NOTIFIED, termination_notice=notice
        ),
    )


def test_a_defective_notice_has_no_deadline_and_no_reminder(org, make_case):
    case = make_case(assignees=["caseworker"])
    threat = _threat(org, case, "defective")
    assert threat.recovery_deadline is None
    assert not Deadline.objects.filter(threat=threat).exists()
    assert reminders.send_due_reminders(today=NOTIFIED + timedelta(days=21)) == 0


def test_marking_a_notice_defective_removes_the_deadline_and_correcting_it_restores_it(
    org, make_case
):
    case = make_case()
    threat = _threat(org, case)
    assert Deadline.objects.get(threat=threat, kind=Deadline.Kind.RECOVERY).due_on == (
        statutory_last_day(NOTIFIED + timedelta(days=21))
    )
    data = ThreatData(
        termination_served_on=SERVED, board_notified_on=NOTIFIED, termination_notice="defective"
    )
    threat = threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    assert threat.recovery_deadline is None
    assert not Deadline.objects.filter(threat=threat, kind=Deadline.Kind.RECOVERY).exists()
    # The landlord serves a new, correct notice: the period runs from it.
    new_service = TODAY - timedelta(days=1)
    threat = threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(
            termination_served_on=new_service,
            board_notified_on=NOTIFIED,
            termination_notice="correct",
        ),
    )
    assert threat.recovery_deadline == statutory_last_day(new_service + timedelta(days=21))
    history = list(
        threat.history.order_by("history_id").values_list("termination_notice", flat=True)
    )
    assert history == ["", "defective", "correct"]


def test_a_notice_check_needs_the_termination_date(org, make_case):
    case = make_case()
    with pytest.raises(ValidationError) as exc:
        threats.create_threat(
            actor=org.users["coordinator"],
            case_id=case.pk,
            data=ThreatData(board_notified_on=NOTIFIED, termination_notice="defective"),
        )
    assert "termination_served_on" in exc.value.message_dict
    assert not EvictionThreat.objects.exists()


def test_an_unknown_answer_names_the_field(org, make_case):
    with pytest.raises(ValidationError) as exc:
        threats.create_threat(
            actor=org.users["coordinator"],
            case_id=make_case().pk,
            data=ThreatData(termination_served_on=SERVED, termination_notice="maybe"),
        )
    assert "termination_notice" in exc.value.message_dict


def test_the_form_and_the_case_page_say_the_period_has_not_started(org, make_case, login):
    case = make_case()
    client = login(org.users["coordinator"])
    form = client.get(reverse("cases:threat_new", args=[case.pk])).content.decode()
    assert "Var uppsägningen korrekt?" in form and 'name="termination_notice"' in form
    response = client.post(
        reverse("cases:threat_new", args=[case.pk]),
        {
            "termination_served_on": SERVED.isoformat(),
            "board_notified_on": NOTIFIED.isoformat(),
            "termination_notice": "defective",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Återvinningsfristen har inte börjat löpa: uppsägningen saknade upplysning" in page
    assert "Uppsägning delgiven (bristfällig" in page  # the timeline says so too
    assert statutory_last_day(NOTIFIED + timedelta(days=21)).isoformat() not in page


def test_an_unchecked_notice_shows_the_deadline_with_a_reminder_to_check(org, make_case, login):
    case = make_case()
    _threat(org, case)
    page = login(org.users["coordinator"]).get(reverse("cases:detail", args=[case.pk]))
    html = page.content.decode()
    assert statutory_last_day(NOTIFIED + timedelta(days=21)).isoformat() in html
    assert "Kontrollera att uppsägningen upplyste hyresgästen" in html


def test_the_concluded_date_is_set_once(org, make_case):
    case = make_case()
    actor = org.users["coordinator"]
    first_day = TODAY - timedelta(days=2)
    threat = threats.create_threat(
        actor=actor,
        case_id=case.pk,
        data=ThreatData(termination_served_on=SERVED, outcome="lease_kept"),
        today=first_day,
    )
    assert threat.concluded_on == first_day
    threat = threats.update_threat(
        actor=actor,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(termination_served_on=SERVED, outcome="lease_kept", arrears_amount=100),
    )
    assert threat.arrears_amount == 100 and threat.concluded_on == first_day
    threat = threats.update_threat(
        actor=actor,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(termination_served_on=SERVED),
    )
    assert threat.outcome == "" and threat.concluded_on is None
