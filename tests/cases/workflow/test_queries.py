"""Workflow pages cost the same number of queries whatever the amount of data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.workflow import contacts, signals, threats
from cases.workflow.signals import SignalInput
from cases.workflow.threats import ThreatData

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
