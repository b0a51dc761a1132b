"""Signals about a person with protected identity (issue 16, point 2): only those granted
the person see the tenant's data; everyone else sees that a protected person is concerned,
whom to ask, and can route the signal to them. Routing reaches someone who can act."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from bokvar.models import Notification, Role, Unit
from cases.models import Person, ProtectedIdentity
from tests.case_fixtures import person
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
PN = "19700707-1009"


@pytest.fixture
def world(org, make_case):
    from cases.evictions.services import landlord_signals as signals
    from cases.evictions.services.landlord_signals import SignalInput
    from cases.evictions.services.landlords import register_landlord
    from cases.models import Landlord

    coordinator2 = member(
        UserFactory(username="coordinator2", first_name="Cecilia", last_name="Andra"),
        org.units[Unit.Kind.HOUSING_TEAM],
        Role.COORDINATOR,
    )
    # Opened by the coordinator, who is granted the person; coordinator2 is not.
    case = make_case(
        people=[
            person(
                "Hemlig",
                "Hemligsson",
                PN,
                address="Gömdavägen 3",
                protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
            )
        ]
    )
    landlord = register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Signalbostäder"
    )
    landlord.districts.add(org.district)
    today = timezone.localdate()
    by_name = signals.register_signal(
        actor=org.users["coordinator"],
        landlord=landlord,
        data=SignalInput(
            kind="rent_arrears",
            received_on=today,
            channel="phone",
            name="Hemlig Hemligsson",
            description="Hyran saknas",
        ),
    )
    unnamed = signals.register_signal(
        actor=org.users["coordinator"],
        landlord=landlord,
        data=SignalInput(kind="neglect", received_on=today, channel="phone"),
    )
    return {"case": case, "by_name": by_name, "unnamed": unnamed, "coordinator2": coordinator2}


def test_a_coordinator_not_granted_sees_a_placeholder_and_whom_to_ask(client, org, world):
    client.force_login(world["coordinator2"], backend=BACKEND)
    queue = client.get(reverse("cases:signals")).content.decode()
    assert "Hemligsson" not in queue and "Skyddad identitet" in queue
    page = client.get(reverse("cases:signal", args=[world["by_name"].pk])).content.decode()
    assert "Hemligsson" not in page and "Hyran saknas" not in page
    assert "Signal om en person med skyddade personuppgifter" in page
    assert org.users["coordinator"].get_full_name() in page  # whom to ask
    assert reverse("cases:signal_open_case", args=[world["by_name"].pk]) not in page
    # Triage is refused: only those granted may triage it.
    response = client.post(
        reverse("cases:signal_dismiss", args=[world["by_name"].pk]),
        {"reason": "x", "version": world["by_name"].version},
    )
    assert response.status_code == 403
    # The API withholds the same.
    data = client.get(reverse("api-signal", args=[world["by_name"].pk])).json()
    assert data["protected_identity"] is True and data["description"] == ""


def test_the_granted_coordinator_sees_everything(client, org, world):
    client.force_login(org.users["coordinator"], backend=BACKEND)
    page = client.get(reverse("cases:signal", args=[world["by_name"].pk])).content.decode()
    assert "Hemlig Hemligsson" in page and "Hyran saknas" in page
    data = client.get(reverse("api-signal", args=[world["by_name"].pk])).json()
    assert data["protected_identity"] is False and data["description"] == "Hyran saknas"


def test_routing_the_signal_reaches_the_granted_coordinator_only(
    client, org, world, django_capture_on_commit_callbacks
):
    client.force_login(world["coordinator2"], backend=BACKEND)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("cases:signal_route", args=[world["by_name"].pk]))
    assert response.status_code == 302
    routed = Notification.objects.filter(kind="signal_routed")
    assert {n.recipient for n in routed} == {org.users["coordinator"]}
    assert "Hemlig" not in routed.get().subject + routed.get().body


def test_typing_a_protected_number_forwards_like_any_number_out_of_sight(org, world):
    """The answer is the one given for a person of another district (SignalForwarded), no
    person is created twice, and the signal goes to those granted the person."""
    from cases.evictions.services import triage

    third = member(
        UserFactory(username="coordinator3"), org.units[Unit.Kind.HOUSING_TEAM], Role.COORDINATOR
    )
    signal = world["unnamed"]
    with pytest.raises(triage.SignalForwarded):
        triage.open_case_from_signal(
            actor=world["coordinator2"],
            signal_id=signal.pk,
            expected_version=signal.version,
            responsible_unit=org.units[Unit.Kind.ADULT],
            assignees=[],
            given_name="Någon",
            family_name="Annan",
            personal_number=PN,
        )
    assert Person.objects.count() == 1
    forwarded = Notification.objects.filter(kind="signal_forwarded")
    assert {n.recipient for n in forwarded} == {org.users["coordinator"]}
    assert not Notification.objects.filter(recipient=third).exists()


def test_withholding_costs_the_same_queries_whatever_the_number_of_signals(client, org, world):
    """The rule is loaded once per page, not per signal (queue, API list)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.evictions.services import landlord_signals as signals
    from cases.evictions.services.landlord_signals import SignalInput

    client.force_login(world["coordinator2"], backend=BACKEND)
    landlord = world["by_name"].landlord

    def add(n: int) -> None:
        for i in range(n):
            signals.register_signal(
                actor=org.users["coordinator"],
                landlord=landlord,
                data=SignalInput(
                    kind="neglect",
                    received_on=timezone.localdate(),
                    channel="phone",
                    name="Hemlig Hemligsson" if i % 2 else f"Annan Person{i}",
                    description=f"Text {i}",
                ),
            )

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(2)
    urls = (reverse("cases:signals"), reverse("api-signals"))
    # Once before counting: the first read appended to the access log makes the chain's
    # head row where no migration made it (SQLite), three statements once.
    for url in urls:
        count(url)
    small = {url: count(url) for url in urls}
    add(6)
    large = {url: count(url) for url in small}
    assert small == large
