"""Workflow pages cost the same number of queries whatever the amount of data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bokvar.models import Notification
from cases.evictions.services import contacts, threats
from cases.evictions.services import deadlines as reminders
from cases.evictions.services import landlord_signals as signals
from cases.evictions.services.landlord_signals import SignalInput
from cases.evictions.services.threats import ThreatData
from cases.models import Deadline

pytestmark = pytest.mark.django_db


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def _add_signal(org, landlord, n):
    signals.register_signal(
        actor=org.users["coordinator"],
        landlord=landlord,
        data=SignalInput(
            kind="neglect",
            received_on=timezone.localdate(),
            channel="phone",
            name=f"Person {n}",
            description="x",
        ),
    )


def _add_case_with_deadlines(org, make_case):
    case = make_case(assignees=["coordinator"], children=[2017])
    today = timezone.localdate()
    threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=today - timedelta(days=2),
            board_notified_on=today - timedelta(days=2),
            eviction_on=today + timedelta(days=40),
        ),
    )
    contacts.record_contact(
        actor=org.users["coordinator"],
        case_id=case.pk,
        kind="call",
        on=today,
        reached=True,
        follow_up_on=today + timedelta(days=3),
    )
    return case


def test_queue_deadlines_and_case_page_do_not_grow(client, org, landlord, make_case):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    _add_signal(org, landlord, 0)
    case = _add_case_with_deadlines(org, make_case)
    urls = [
        reverse("cases:signals"),
        reverse("cases:deadlines"),
        reverse("cases:detail", args=[case.pk]),
    ]
    for url in urls:
        client.get(url)  # warm per-process caches
    small = [_count(client, url) for url in urls]
    for n in range(1, 8):
        _add_signal(org, landlord, n)
        _add_case_with_deadlines(org, make_case)
        contacts.record_intervention(
            actor=org.users["coordinator"],
            case_id=case.pk,
            kind="home_help",
            on=timezone.localdate(),
        )
    assert [_count(client, url) for url in urls] == small


def _add_deadlines(make_case, today, start, stop) -> int:
    """Follow-ups on cases assigned to one, two or nobody (then the unit's staff), due
    from two days ago to five ahead; returns how many reminders they make on `today`."""
    leads = {-2: 3, 0: 3, 1: 2, 2: 2, 5: 1}  # days until due: lead times arrived (7, 2, 0)
    assignees = [["guide"], ["caseworker", "guide"], []]
    expected = 0
    for i in range(start, stop):
        people = assignees[i % 3]
        days = list(leads)[i % len(leads)]
        case = make_case(assignees=people)
        Deadline.objects.create(
            case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=today + timedelta(days=days)
        )
        # One reminder a person (the most urgent lead); the adult unit has one caseworker.
        expected += max(len(people), 1) if leads[days] else 0
    return expected


def test_reminder_run_does_not_grow_with_the_deadlines(make_case):
    today = timezone.localdate()

    def run() -> tuple[int, int, int]:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            sent = reminders.send_due_reminders(today=today)
        inserts = sum(q["sql"].startswith("INSERT") for q in ctx)
        return sent, len(ctx) - inserts, inserts

    few = _add_deadlines(make_case, today, 0, 5)
    sent, small, _ = run()
    assert sent == few
    many = few + _add_deadlines(make_case, today, 5, 50)
    sent, large, inserts = run()
    assert sent == many
    assert large == small
    # Inserts go in batches as large as the backend allows: one for the reminders and
    # one for the silent superseded rows on PostgreSQL, some of about 80 rows on SQLite
    # (999 parameters a statement); never one per reminder.
    rows = Notification.objects.count()
    assert inserts == 2 if connection.vendor == "postgresql" else inserts <= rows / 40


def test_the_children_at_risk_scan_does_not_grow_with_the_threats(org, make_case):
    """An eviction date recorded weeks ahead comes within the alert window: the scheduled
    scan flags every such household to the district's coordinators in constant queries."""
    from bokvar import scan

    today = timezone.localdate()

    def add(n: int) -> None:
        for _ in range(n):
            case = make_case(assignees=["caseworker"], children=[2018])
            threats.create_threat(
                actor=org.users["caseworker"],
                case_id=case.pk,
                data=ThreatData(
                    termination_served_on=today - timedelta(days=40),
                    board_notified_on=today - timedelta(days=40),
                    eviction_on=today + timedelta(days=20),
                ),
            )

    def run() -> tuple[int, int]:
        Notification.objects.filter(kind="children_eviction").delete()
        with CaptureQueriesContext(connection) as ctx:
            created = scan.run(threats.CHILDREN_AT_RISK, at=today + timedelta(days=7))
        return created, len(ctx)

    add(2)
    created_n, queries_n = run()
    add(4)
    created_3n, queries_3n = run()
    assert (created_n, created_3n) == (2, 6)  # the district's one coordinator, per threat
    assert queries_n == queries_3n
