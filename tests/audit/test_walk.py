"""Every page and endpoint that shows personal data writes exactly one access-log entry
per record read. Pages join by registering with audit.registry.register_personal_data_view;
this walk fails when a registered page is not walked here."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from audit.registry import personal_data_views
from cases.workflow import signals
from cases.workflow.signals import SignalInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, cases):
    from cases import services
    from cases.models import Landlord

    landlord = services.register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Walkbostäder"
    )
    today = timezone.localdate()
    signal = signals.register_signal(
        actor=org.users["coordinator"],
        landlord=landlord,
        data=SignalInput(kind="neglect", received_on=today, channel="phone"),
    )
    from datetime import date
    from decimal import Decimal

    from cases.handovers import services as handovers
    from housing import services as housing

    handover, _ = handovers.send_handover(
        actor=org.users["caseworker"],
        case_id=cases.a.pk,
        kind="consultation",
        to_unit=org.units["income_support"],
        reason="Behöver stöd",
    )
    apartment = housing.create_apartment(
        actor=org.users["coordinator"],
        district_id=org.district.pk,
        kind="training",
        reference="W-1",
        address="Gatan 1",
        rent=Decimal(5000),
        status_since=date(2025, 1, 1),
    )
    placement = housing.start_placement(
        actor=org.users["coordinator"],
        case_id=cases.a.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=None,
        monthly_cost=Decimal(0),
        goals={},
    )
    return {
        "cases": cases,
        "signal": signal,
        "org": org,
        "handover": handover,
        "placement": placement,
    }


# url name -> (user, url builder, expected entries builder)
def walks(world):
    c = world["cases"]
    person_a = c.a.household.head_id
    signal = world["signal"]
    return {
        "cases:detail": ("caseworker", reverse("cases:detail", args=[c.a.pk]), 1),
        "cases:person_edit": (
            "caseworker",
            reverse("cases:person_edit", args=[c.a.pk, person_a]),
            1,
        ),
        "cases:signal": ("coordinator", reverse("cases:signal", args=[signal.pk]), 1),
        "cases:signals": ("coordinator", reverse("cases:signals"), "signals"),
        "api-signal": ("coordinator", reverse("api-signal", args=[signal.pk]), 1),
        "api-signals": ("coordinator", reverse("api-signals"), "signals"),
        "audit:case_history": ("caseworker", reverse("audit:case_history", args=[c.a.pk]), 1),
        "audit:person_history": ("caseworker", reverse("audit:person_history", args=[person_a]), 1),
        "audit:extract": ("auditor", reverse("audit:extract", args=[person_a]), 1),
        "audit:extract_json": ("auditor", reverse("audit:extract_json", args=[person_a]), 1),
        "cases:handover": (
            "caseworker2",
            reverse("cases:handover", args=[world["handover"].pk]),
            1,
        ),
        "api-handover": ("caseworker2", reverse("api-handover", args=[world["handover"].pk]), 1),
        "api-handovers": ("caseworker2", reverse("api-handovers"), 1),
        "housing:placement": (
            "coordinator",
            reverse("housing:placement", args=[world["placement"].pk]),
            1,
        ),
    }


def test_every_registered_personal_data_view_is_walked(world):
    assert set(walks(world)) == set(personal_data_views), (
        "a page showing personal data is registered but not walked here (or vice versa)"
    )


def test_each_read_writes_exactly_one_entry_per_record(client, world):
    from cases.workflow import selectors as wf

    org = world["org"]
    for name, (username, url, expected) in walks(world).items():
        user = org.users[username]
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if expected == "signals":
            expected = (
                wf.triage_queue(user).count()
                if name == "cases:signals"
                else len(list(wf.visible_signals(user)[:50]))
            )
            assert expected >= 1
        before = AccessLogEntry.objects.count()
        response = client.get(url)
        assert response.status_code == 200, name
        after = AccessLogEntry.objects.count()
        assert after - before == expected, name
        newest = AccessLogEntry.objects.order_by("-seq").first()
        assert newest.user_id == user.pk, name
    # A refused read writes nothing.
    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    before = AccessLogEntry.objects.count()
    assert client.get(reverse("cases:detail", args=[world["cases"].a.pk])).status_code == 404
    assert AccessLogEntry.objects.count() == before
