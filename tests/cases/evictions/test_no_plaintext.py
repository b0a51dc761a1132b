"""Signal descriptions, tenants' details, dismissal reasons, contact and intervention
notes and deadline notes are unreadable in every table, history included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.evictions.services.contacts import record_contact, record_intervention
from cases.evictions.services.deadlines import add_follow_up
from cases.evictions.services.landlord_signals import SignalInput, register_signal
from cases.evictions.services.triage import dismiss_signal
from tests.test_no_plaintext import raw_text_values

from .conftest import TENANT_PN

pytestmark = pytest.mark.django_db

SECRETS = [
    TENANT_PN,
    TENANT_PN.replace("-", ""),
    "Tove Hyresgästsson",
    "Hyresgästsson",
    "Sveavägen 200",
    "Spelar hög musik och har missbruk",
    "Fel person enligt värden",
    "Pratade om skulden hos Kronofogden",
    "Ansökan om försörjningsstöd inlämnad",
    "Ring tillbaka om budgeten",
    "Privat Värdsson",
]


def test_workflow_text_is_encrypted_everywhere(
    org, landlord, other_landlord, make_case, token, api_as
):
    coordinator = org.users["coordinator"]
    today = timezone.localdate()
    response = api_as(token).post(
        "/api/v1/signals/",
        {
            "kind": "disturbance",
            "received_on": today.isoformat(),
            "personal_number": TENANT_PN,
            "name": "Tove Hyresgästsson",
            "address": "Sveavägen 200",
            "description": "Spelar hög musik och har missbruk",
        },
        format="json",
    )
    assert response.status_code == 201
    other = register_signal(
        actor=coordinator,
        landlord=other_landlord,
        data=SignalInput(kind="other", received_on=today, channel="letter"),
    )
    dismiss_signal(
        actor=coordinator, signal_id=other.pk, expected_version=1, reason="Fel person enligt värden"
    )
    case = make_case(assignees=["coordinator"])
    record_contact(
        actor=coordinator,
        case_id=case.pk,
        kind="call",
        on=today,
        reached=True,
        note="Pratade om skulden hos Kronofogden",
    )
    record_intervention(
        actor=coordinator,
        case_id=case.pk,
        kind="income_support",
        on=today,
        note="Ansökan om försörjningsstöd inlämnad",
    )
    add_follow_up(
        actor=coordinator,
        case=case,
        due_on=today + timedelta(days=2),
        note="Ring tillbaka om budgeten",
    )
    leaks = [
        (table, column, secret)
        for table, column, value in raw_text_values()
        for secret in SECRETS
        if secret.casefold() in value.casefold()
    ]
    assert leaks == []
