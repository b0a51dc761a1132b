"""Eviction threats: date order and amounts, the eviction-date prompt to the unit and
the children flag to every coordinator."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from bokvar.history import attribute
from bokvar.legal_calendar import statutory_last_day
from bokvar.models import Notification
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData
from cases.models import Deadline, EvictionThreat

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# "In the future" is two days ahead, not one: TODAY is read when the module is
# collected, and a run that crosses midnight in Stockholm would make tomorrow today.
FUTURE = TODAY + timedelta(days=2)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            ThreatData(arrears_notice_on=TODAY, termination_served_on=TODAY - timedelta(days=1)),
            "termination_served_on",
        ),
        (
            ThreatData(termination_served_on=TODAY, eviction_on=TODAY - timedelta(days=3)),
            "eviction_on",
        ),
        (
            ThreatData(arrears_notice_on=TODAY, eviction_on=TODAY - timedelta(days=1)),
            "eviction_on",
        ),
        (
            ThreatData(
                arrears_notice_on=TODAY,
                application_to="enforcement",
                application_on=TODAY - timedelta(days=1),
            ),
            "application_on",
        ),
        (
            ThreatData(
                application_to="enforcement",
                application_on=TODAY - timedelta(days=1),
                application_served_on=TODAY - timedelta(days=2),
            ),
            "application_served_on",
        ),
        (ThreatData(application_served_on=TODAY - timedelta(days=2)), "application_on"),
        (
            ThreatData(
                board_notice_given_on=TODAY - timedelta(days=1),
                board_notified_on=TODAY - timedelta(days=2),
            ),
            "board_notified_on",
        ),
        (
            ThreatData(board_notified_on=TODAY, eviction_on=TODAY - timedelta(days=1)),
            "eviction_on",
        ),
        (
            ThreatData(arrears_notice_on=TODAY, board_notified_on=TODAY - timedelta(days=1)),
            "board_notified_on",
        ),
        (
            ThreatData(
                application_to="rent_tribunal",
                application_on=TODAY - timedelta(days=1),
                eviction_on=TODAY - timedelta(days=2),
            ),
            "eviction_on",
        ),
        (
            ThreatData(application_to="enforcement", application_on=FUTURE),
            "application_on",
        ),
        (ThreatData(arrears_amount=-1), "arrears_amount"),
        (ThreatData(recovery_amount=-100), "recovery_amount"),
        (ThreatData(termination_served_on=FUTURE), "termination_served_on"),
        (ThreatData(application_to="enforcement"), "application_on"),
        (ThreatData(outcome="recovered_by_payment"), "paid_on"),
    ],
)
def test_bad_dates_and_amounts_name_the_field(org, make_case, data, field):
    case = make_case()
    with pytest.raises(ValidationError) as exc:
        threats.create_threat(actor=org.users["coordinator"], case_id=case.pk, data=data)
    assert field in exc.value.message_dict
    assert EvictionThreat.objects.count() == 0 and Deadline.objects.count() == 0


def test_the_whole_chain_in_order_is_accepted_same_days_included(org, make_case):
    case = make_case()
    day = TODAY - timedelta(days=30)
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(
            arrears_notice_on=day,
            termination_served_on=day + timedelta(days=5),
            board_notified_on=day + timedelta(days=3),
            application_to="enforcement",
            application_on=day + timedelta(days=5),
            eviction_on=TODAY + timedelta(days=10),
        ),
    )
    assert threat.application_on == day + timedelta(days=5)


def test_every_violation_names_its_field(org, make_case):
    case = make_case()
    with pytest.raises(ValidationError) as exc:
        threats.create_threat(
            actor=org.users["coordinator"],
            case_id=case.pk,
            data=ThreatData(
                arrears_notice_on=TODAY,
                board_notified_on=TODAY - timedelta(days=2),
                application_to="enforcement",
                application_on=TODAY - timedelta(days=3),
                eviction_on=TODAY - timedelta(days=4),
            ),
        )
    assert set(exc.value.message_dict) == {"board_notified_on", "application_on", "eviction_on"}


def test_dates_out_of_order_over_http(org, make_case, login):
    case = make_case()
    client = login(org.users["coordinator"])
    response = client.post(
        reverse("cases:threat_new", args=[case.pk]),
        {
            "arrears_notice_on": TODAY.isoformat(),
            "termination_served_on": (TODAY - timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["termination_served_on"]
    assert "före" in errors[0]  # Swedish by default, naming both dates
    assert EvictionThreat.objects.count() == 0


def test_no_deadline_until_both_dates(org, make_case, login):
    case = make_case()
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=TODAY - timedelta(days=3)),
    )
    assert threat.recovery_deadline is None and not threat.deadlines.exists()
    client = login(org.users["coordinator"])
    response = client.post(
        reverse("cases:threat_edit", args=[case.pk, threat.pk]),
        {
            "termination_served_on": (TODAY - timedelta(days=3)).isoformat(),
            "board_notified_on": (TODAY - timedelta(days=1)).isoformat(),
            "version": threat.version,
        },
    )
    assert response.status_code == 302
    threat.refresh_from_db()
    # Three weeks from the later date, moved off a weekend or holiday (lag 1930:173 2 §).
    assert threat.recovery_deadline == statutory_last_day(TODAY + timedelta(days=20))
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert threat.recovery_deadline.isoformat() in page
    # A stale version is refused, nothing overwritten.
    response = client.post(
        reverse("cases:threat_edit", args=[case.pk, threat.pk]),
        {"termination_served_on": TODAY.isoformat(), "version": 1},
    )
    assert response.status_code == 200 and response.context["conflict"]
    threat.refresh_from_db()
    assert threat.termination_served_on == TODAY - timedelta(days=3)


def test_eviction_date_prompts_the_unit_and_children_flag_every_coordinator(
    org, make_case, django_user_model
):
    from bokvar.models import Membership, Role

    second = django_user_model.objects.create(username="coordinator2", email="c2@example.se")
    Membership.objects.create(user=second, unit=org.units["housing_team"], role=Role.COORDINATOR)
    case = make_case(children=[2018])
    data = ThreatData(
        termination_served_on=TODAY - timedelta(days=40),
        board_notified_on=TODAY - timedelta(days=40),
        eviction_on=TODAY + timedelta(days=20),
    )
    threat = threats.create_threat(actor=org.users["coordinator"], case_id=case.pk, data=data)
    unit_notes = Notification.objects.filter(kind="eviction_date")
    assert set(unit_notes.values_list("recipient__username", flat=True)) == {"caseworker"}
    assert not Notification.objects.filter(kind="children_eviction").exists()
    # Twenty days away is not yet within 14; the daily run flags it when it is, once.
    reminders.send_due_reminders(today=TODAY + timedelta(days=6))
    reminders.send_due_reminders(today=TODAY + timedelta(days=7))
    flagged = Notification.objects.filter(kind="children_eviction")
    assert set(flagged.values_list("recipient__username", flat=True)) == {
        "coordinator",
        "coordinator2",
    }
    # Moving the date again prompts the unit again but flags the threat only once.
    data.eviction_on = TODAY + timedelta(days=10)
    threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    assert Notification.objects.filter(kind="eviction_date").count() == 2
    assert Notification.objects.filter(kind="children_eviction").count() == 2
    assert "Tove" not in flagged.first().body


def test_no_children_no_flag(org, make_case):
    case = make_case(children=[])
    threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=TODAY, eviction_on=TODAY + timedelta(days=3)),
    )
    assert not Notification.objects.filter(kind="children_eviction").exists()


def test_summary_gives_stage_and_deadlines(org, make_case):
    from cases.case_page import summary_for

    case = make_case()
    threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=TODAY, board_notified_on=TODAY),
    )
    lines = dict(summary_for(case))
    assert "Vräkningshot" in lines or "Eviction threat" in lines
    values = " ".join(str(v) for v in lines.values())
    assert statutory_last_day(TODAY + timedelta(days=21)).isoformat() in values


def test_contacts_and_interventions_on_timeline(org, make_case, login):
    case = make_case(assignees=["caseworker"])
    client = login(org.users["caseworker"])
    response = client.post(
        reverse("cases:contact_new", args=[case.pk]),
        {
            "kind": "home_visit",
            "on": TODAY.isoformat(),
            "reached": "on",
            "note": "Hembesök, pratade om budget",
            "follow_up_on": (TODAY + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("cases:intervention_new", args=[case.pk]),
        {
            "kind": "debt_counselling",
            "status": "ongoing",
            "on": TODAY.isoformat(),
            "note": "Remiss till BUS",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Hembesök, pratade om budget" in page and "Remiss till BUS" in page
    assert Deadline.objects.get(case=case).kind == Deadline.Kind.FOLLOW_UP
    bad = client.post(
        reverse("cases:contact_new", args=[case.pk]),
        {"kind": "call", "on": (TODAY + timedelta(days=2)).isoformat()},
    )
    assert bad.status_code == 200 and "on" in bad.context["form"].errors


def test_recovery_deadline_stays_open_after_application_and_eviction_date(org, make_case, login):
    """JB 12 kap. 44 §: the three weeks keep running after the landlord applies; only a
    payment in time, an outcome or the expiry close the deadline (issue 15)."""
    coordinator = org.users["coordinator"]
    case = make_case(assignees=["coordinator"])
    served = TODAY - timedelta(days=3)
    data = ThreatData(termination_served_on=served, board_notified_on=served)
    threat = threats.create_threat(actor=coordinator, case_id=case.pk, data=data)
    recovery = threat.deadlines.get(kind=Deadline.Kind.RECOVERY)
    assert recovery.done_at is None
    # The landlord applied to the Enforcement Authority at once: the window is still open.
    data.application_to, data.application_on = "enforcement", TODAY - timedelta(days=1)
    threat = threats.update_threat(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    recovery.refresh_from_db()
    assert recovery.done_at is None
    page = login(coordinator).get(reverse("cases:deadlines"))
    assert [d.kind for d in page.context["upcoming"]] == [Deadline.Kind.RECOVERY]
    # An eviction date does not close it either; both stay open until the outcome.
    data.eviction_on = TODAY + timedelta(days=30)
    threat = threats.update_threat(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    recovery.refresh_from_db()
    eviction = threat.deadlines.get(kind=Deadline.Kind.EVICTION)
    assert recovery.done_at is None and eviction.done_at is None
    # Paid in time: the recovery deadline is done, the eviction date waits for the outcome.
    data.paid_on = TODAY
    threat = threats.update_threat(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    recovery.refresh_from_db()
    eviction.refresh_from_db()
    assert recovery.done_at is not None and eviction.done_at is None
    # The payment was recorded by mistake: removing it opens the deadline again.
    data.paid_on = None
    threat = threats.update_threat(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    recovery.refresh_from_db()
    assert recovery.done_at is None
    data.outcome = "lease_kept"
    threats.update_threat(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    recovery.refresh_from_db()
    eviction.refresh_from_db()
    assert recovery.done_at is not None and eviction.done_at is not None


def test_illness_keeps_an_expired_recovery_deadline_open(org, make_case):
    """JB 12 kap. 44 § andra stycket: a tenant prevented by illness may still recover the
    lease by paying as soon as possible, so the expired deadline is not closed."""
    case = make_case()
    served = TODAY - timedelta(days=70)
    data = ThreatData(termination_served_on=served, board_notified_on=served)
    threat = threats.create_threat(actor=org.users["coordinator"], case_id=case.pk, data=data)
    assert threat.deadlines.get(kind=Deadline.Kind.RECOVERY).done_at is not None
    data.prevented_by_illness = True
    threat = threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=data,
    )
    assert threat.deadlines.get(kind=Deadline.Kind.RECOVERY).done_at is None


def test_a_threat_recorded_late_has_no_open_recovery_deadline(org, make_case):
    case = make_case()
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=TODAY - timedelta(days=70),
            board_notified_on=TODAY - timedelta(days=70),
            eviction_on=TODAY + timedelta(days=12),
        ),
    )
    open_kinds = set(threat.deadlines.filter(done_at__isnull=True).values_list("kind", flat=True))
    assert open_kinds == {Deadline.Kind.EVICTION}


def test_timeline_shows_every_kind_of_event_in_date_order(org, make_case, login, landlord):
    from cases.evictions.services import contacts
    from cases.evictions.services.landlord_signals import SignalInput, receive_signal
    from cases.evictions.services.triage import link_signal

    coordinator = org.users["coordinator"]
    case = make_case(assignees=["coordinator"])
    day = TODAY - timedelta(days=30)
    signal = receive_signal(
        landlord=landlord,
        data=SignalInput(kind="rent_arrears", received_on=day, channel="api"),
    )
    link_signal(actor=coordinator, signal_id=signal.pk, expected_version=1, case_id=case.pk)
    threats.create_threat(
        actor=coordinator,
        case_id=case.pk,
        data=ThreatData(
            arrears_notice_on=day + timedelta(days=2),
            termination_served_on=day + timedelta(days=8),
            board_notified_on=day + timedelta(days=6),
        ),
    )
    contacts.record_contact(
        actor=coordinator,
        case_id=case.pk,
        kind="call",
        on=day + timedelta(days=10),
        reached=True,
        note="Samtal",
    )
    contacts.record_intervention(
        actor=coordinator,
        case_id=case.pk,
        kind="debt_counselling",
        on=day + timedelta(days=12),
        note="Remiss",
    )
    page = login(coordinator).get(reverse("cases:detail", args=[case.pk]))
    events = page.context["timeline"]
    kinds = [(e.kind, e.sort_key) for e in events]
    # Newest first; the recovery deadline (day+8+21, moved to the next working day when
    # it falls on a weekend or holiday: lag (1930:173) 2 §) lies ahead of everything else.
    assert kinds == [
        ("deadline", statutory_last_day(day + timedelta(days=29))),
        ("intervention", day + timedelta(days=12)),
        ("contact", day + timedelta(days=10)),
        ("stage", day + timedelta(days=8)),
        ("stage", day + timedelta(days=6)),
        ("stage", day + timedelta(days=2)),
        ("signal", day),
    ]
    # And the page shows them in that order.
    html = page.content.decode()
    html = html[html.index('<ol class="timeline">') :]
    titles = [str(e.title) for e in events]
    positions = [html.index(title.split(",")[0].split(" (")[0]) for title in titles]
    assert positions == sorted(positions)


def test_the_data_migration_closes_recovery_deadlines_recorded_before_the_rule(org, make_case):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("cases.migrations.0010_close_passed_recovery_deadlines")
    coordinator = org.users["coordinator"]
    served = TODAY - timedelta(days=60)
    data = ThreatData(termination_served_on=served, board_notified_on=served)
    moved_on = threats.create_threat(actor=coordinator, case_id=make_case().pk, data=data)
    waiting = threats.create_threat(actor=coordinator, case_id=make_case().pk, data=data)
    # As stored before the rule: an application recorded, the recovery deadline still open.
    EvictionThreat.objects.filter(pk=moved_on.pk).update(
        application_to="enforcement", application_on=TODAY - timedelta(days=5)
    )
    # Both open, as the old rule left them (today's rule closes an expired one itself).
    Deadline.objects.filter(threat__in=[moved_on, waiting]).update(done_at=None)

    migration.close_passed_recovery_deadlines(apps, None)

    closed = Deadline.objects.get(threat=moved_on, kind=Deadline.Kind.RECOVERY)
    assert closed.done_at is not None
    latest = closed.history.order_by("-history_id").first()
    assert latest.history_change_reason == migration.REASON
    assert latest.done_at == closed.done_at
    # Nothing has happened after this one's recovery period: it stays open.
    assert Deadline.objects.get(threat=waiting, kind=Deadline.Kind.RECOVERY).done_at is None


def test_the_data_migration_recomputes_and_reopens_recovery_deadlines(org, make_case):
    """Migration 0012: stored deadlines move off weekends and holidays (lag 1930:173 2 §)
    and those closed only because an application was recorded open again (JB 12:44),
    each with a history row saying why; one a user marked done stays done."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "cases.migrations.0012_recompute_recovery_deadlines_under_the_law"
    )
    coordinator = org.users["coordinator"]

    def stored_the_old_way(served, *, application_on=None, done_by_user=False):
        data = ThreatData(termination_served_on=served, board_notified_on=served)
        threat = threats.create_threat(
            actor=coordinator, case_id=make_case().pk, data=data, today=served
        )
        old_due = served + timedelta(days=21)  # the old rule: no weekday rule
        EvictionThreat.objects.filter(pk=threat.pk).update(
            recovery_deadline=old_due,
            application_to="enforcement" if application_on else "",
            application_on=application_on,
        )
        row = threat.deadlines.get(kind=Deadline.Kind.RECOVERY)
        Deadline.objects.filter(pk=row.pk).update(
            due_on=old_due, done_at=timezone.now() if application_on else None
        )
        if done_by_user:  # a history row as complete_deadline leaves it
            attribute(
                Deadline.objects.get(pk=row.pk), user=coordinator, reason="deadline done"
            ).save()
        return threat, row.pk

    christmas, christmas_row = stored_the_old_way(date(2025, 12, 3))
    served = TODAY - timedelta(days=3)
    applied, applied_row = stored_the_old_way(served, application_on=served)
    by_user, by_user_row = stored_the_old_way(served, application_on=served, done_by_user=True)

    migration.recompute(apps, None)

    christmas.refresh_from_db()
    assert christmas.recovery_deadline == date(2025, 12, 29)
    row = Deadline.objects.get(pk=christmas_row)
    assert row.due_on == date(2025, 12, 29)
    assert row.history.order_by("-history_id").first().history_change_reason == migration.MOVED
    assert christmas.history.order_by("-history_id").first().history_change_reason == (
        migration.MOVED
    )
    row = Deadline.objects.get(pk=applied_row)
    assert row.done_at is None and row.due_on == statutory_last_day(served + timedelta(days=21))
    reason = row.history.order_by("-history_id").first().history_change_reason
    assert reason in (migration.REOPENED, migration.BOTH)
    assert Deadline.objects.get(pk=by_user_row).done_at is not None


def test_application_and_early_eviction_date_keep_the_countdown_and_flag_the_clash(
    org, make_case, login
):
    """Issue 15, done when: a coordinator who records an application and an eviction
    date still sees the recovery deadline counting down, sees the eviction date first
    when it is sooner, and the eviction date inside the recovery period is flagged on
    the threat and to the district's coordinators."""
    coordinator = org.users["coordinator"]
    case = make_case(assignees=["coordinator"], children=[2016, 2019])
    served = TODAY - timedelta(days=3)
    threat = threats.create_threat(
        actor=coordinator,
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=served,
            board_notice_given_on=served,
            board_notified_on=served,
            application_to="enforcement",
            application_on=TODAY - timedelta(days=1),
            eviction_on=TODAY + timedelta(days=5),
        ),
    )
    assert threat.recovery_deadline >= TODAY + timedelta(days=18)
    assert threat.deadlines.get(kind=Deadline.Kind.RECOVERY).done_at is None
    flagged = Notification.objects.filter(kind="eviction_before_recovery")
    assert set(flagged.values_list("recipient__username", flat=True)) >= {"coordinator"}
    response = login(coordinator).get(reverse("cases:detail", args=[case.pk]))
    html = response.content.decode()
    # Counting down in calendar and working days, in the reminder e-mails' words.
    assert "Tidsfrist för återvinning" in html and "Förfaller om" in html
    assert "arbetsdagar" in html
    assert "kan inte verkställas" in html  # the clash, on the threat
    assert "Barn bor i hushållet." in html  # the eviction date soon, with children
    # The soonest open date first: the eviction date, then the recovery deadline.
    lines = reminders_order(html, threat)
    assert lines == ["eviction", "recovery"]
    # Nothing is said twice to the coordinators for the same pair of dates.
    threats.update_threat(
        actor=coordinator,
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(
            termination_served_on=served,
            board_notice_given_on=served,
            board_notified_on=served,
            application_to="enforcement",
            application_on=TODAY - timedelta(days=1),
            eviction_on=TODAY + timedelta(days=5),
            recovery_amount=1000,
        ),
    )
    assert flagged.filter(recipient__username="coordinator").count() == 1


def reminders_order(html: str, threat) -> list[str]:
    """The kinds of the open dates in the order the panel's list shows them."""
    eviction = html.rfind(threat.eviction_on.isoformat() + ": ")
    recovery = html.rfind(threat.recovery_deadline.isoformat() + ": ")
    assert eviction > 0 and recovery > 0
    return ["eviction", "recovery"] if eviction < recovery else ["recovery", "eviction"]


def test_only_the_receipt_known_shows_the_deadline_at_the_latest(org, make_case, login):
    case = make_case()
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=TODAY - timedelta(days=2),
            board_notified_on=TODAY - timedelta(days=1),
        ),
    )
    assert threat.recovery_deadline_at_the_latest
    html = login(org.users["coordinator"]).get(reverse("cases:detail", args=[case.pk]))
    html = html.content.decode()
    assert "Tidsfrist för återvinning (senast)" in html
    assert "den lagliga tidsfristen kan vara tidigare" in html
    # The day the notice was given, once recorded, is what counts: no "at the latest".
    threat = threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(
            termination_served_on=TODAY - timedelta(days=2),
            board_notice_given_on=TODAY - timedelta(days=2),
            board_notified_on=TODAY - timedelta(days=1),
        ),
    )
    assert not threat.recovery_deadline_at_the_latest
    assert threat.recovery_deadline == statutory_last_day(TODAY + timedelta(days=19))
