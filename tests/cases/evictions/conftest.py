"""Fixtures for the eviction-prevention workflow: landlords, their tokens and an API client."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from cases.evictions.services.landlord_signals import SignalInput, receive_signal
from cases.evictions.services.landlords import register_landlord
from cases.evictions.services.tokens import create_token
from cases.models import Landlord, LandlordSignal

TENANT_PN = "19720304-2382"  # valid test number, not used elsewhere in the suite
OTHER_PN = "19660812-5537"


def receive(landlord, *, days_ago: int = 0, **kw) -> LandlordSignal:
    """A signal from `landlord` about the tenant TENANT_PN, received `days_ago` days ago."""
    data = {
        "kind": "rent_arrears",
        "received_on": timezone.localdate() - timedelta(days=days_ago),
        "channel": "api",
        "personal_number": TENANT_PN,
        "name": "Tove Hyresgästsson",
        **kw,
    }
    return receive_signal(landlord=landlord, data=SignalInput(**data))


def valid_pn(year: int, month: int, day: int, serial: int) -> str:
    from cases.core.demo import luhn_digit

    short = f"{year % 100:02d}{month:02d}{day:02d}{serial:03d}"
    return f"{year}{month:02d}{day:02d}-{serial:03d}{luhn_digit(short)}"


@pytest.fixture
def landlord(org):
    return register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Familjebostäder"
    )


@pytest.fixture
def other_landlord(org):
    return register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.PRIVATE, name="Privat Värdsson"
    )


@pytest.fixture
def token(landlord) -> str:
    return create_token(landlord=landlord)


@pytest.fixture
def other_token(other_landlord) -> str:
    return create_token(landlord=other_landlord)


@pytest.fixture
def api_as():
    def _client(key: str | None = None, user=None) -> APIClient:
        client = APIClient()
        if key:
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _client


@pytest.fixture
def signal_payload():
    def _payload(**overrides) -> dict:
        data = {
            "kind": "rent_arrears",
            "received_on": timezone.localdate().isoformat(),
            "personal_number": TENANT_PN,
            "name": "Tove Hyresgästsson",
            "address": "Sveavägen 200",
            "arrears_amount": "12500.00",
            "description": "Två månaders hyra obetald",
        }
        data.update(overrides)
        return data

    return _payload
