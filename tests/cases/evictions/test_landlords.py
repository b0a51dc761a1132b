"""Keeping the landlord register: a coordinator edits a landlord and may deactivate it
(its API tokens stop working); nobody else may; a concurrent edit is told."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from bokvar import services as org_services
from bokvar.concurrency import ConflictError
from bokvar.models import ApiClient, District, Role, Unit
from cases.evictions.services import landlords
from cases.evictions.services.landlord_signals import SignalInput, register_signal
from cases.models import Landlord, LandlordSignal

pytestmark = pytest.mark.django_db

OTHERS = ["guide", "caseworker", "caseworker2", "steering", "auditor", "admin"]


def _body(landlord: Landlord, **overrides) -> dict:
    body = {
        "kind": landlord.kind,
        "name": landlord.display_name,
        "contact_person": "Kim Förvaltare",
        "phone": "08-123 456",
        "email": "kim@example.se",
        "districts": [d.pk for d in landlord.districts.all()],
        "is_active": "on",
        "version": landlord.version,
    }
    body.update(overrides)
    return body


def _post(client, user, landlord, body):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(reverse("cases:landlord_edit", args=[landlord.pk]), body)
    client.logout()
    return response


def test_coordinator_edits_a_landlord(client, org, landlord):
    coordinator = org.users["coordinator"]
    url = reverse("cases:landlord_edit", args=[landlord.pk])
    client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"].initial["name"] == "Familjebostäder"
    assert url in client.get(reverse("cases:landlords")).content.decode()
    assert client.delete(url).status_code == 405
    response = client.post(url, _body(landlord, name="Familjebostäder AB"))
    assert response.status_code == 302
    landlord.refresh_from_db()
    assert (landlord.display_name, landlord.contact_person, landlord.version) == (
        "Familjebostäder AB",
        "Kim Förvaltare",
        2,
    )
    record = landlord.history.latest()
    assert (record.history_change_reason, record.history_user) == ("landlord updated", coordinator)
    # The blind index follows the name: found by the new one, not the old one.
    from cases.evictions.selectors import find_landlord_by_name

    assert find_landlord_by_name("familjebostäder ab") == landlord
    assert find_landlord_by_name("Familjebostäder") is None


def test_bad_input_names_the_field_and_saves_nothing(client, org, landlord, other_landlord):
    coordinator = org.users["coordinator"]
    taken = _post(client, coordinator, landlord, _body(landlord, name="privat värdsson"))
    assert taken.status_code == 400 and "name" in taken.context["form"].errors
    empty = _post(client, coordinator, landlord, _body(landlord, name=" "))
    assert empty.status_code == 400 and "name" in empty.context["form"].errors
    nowhere = _post(client, coordinator, landlord, _body(landlord, districts=[]))
    assert nowhere.status_code == 400 and "districts" in nowhere.context["form"].errors
    landlord.refresh_from_db()
    assert landlord.version == 1 and landlord.display_name == "Familjebostäder"


def test_only_coordinators_of_the_landlords_districts_may_edit(client, org, landlord):
    url = reverse("cases:landlord_edit", args=[landlord.pk])
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.get(reverse("cases:landlord_edit", args=[99999])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302  # signed out: to the login page
    for username in OTHERS:
        user = org.users[username]
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        assert client.get(url).status_code == 403, username
        client.logout()
        assert _post(client, user, landlord, _body(landlord, name="X")).status_code == 403
    # A coordinator of another district may read the register, not change this landlord.
    south = District.objects.create(name="Södermalm", code="sodermalm")
    team = org_services.create_unit(district=south, name="Söder", kind=Unit.Kind.HOUSING_TEAM)
    from tests.factories import UserFactory

    other = UserFactory(username="coordinator_south")
    org_services.add_membership(user=other, unit=team, role=Role.COORDINATOR)
    assert _post(client, other, landlord, _body(landlord, name="X")).status_code == 403
    with pytest.raises(PermissionDenied):
        landlords.update_landlord(
            actor=other, landlord_id=landlord.pk, expected_version=1, kind="private", name="X"
        )
    landlord.refresh_from_db()
    assert landlord.display_name == "Familjebostäder" and landlord.version == 1


def test_a_concurrent_edit_is_told_and_nothing_overwritten(client, org, landlord):
    coordinator = org.users["coordinator"]
    stale = _body(landlord, phone="08-999 999")
    landlords.update_landlord(
        actor=coordinator,
        landlord_id=landlord.pk,
        expected_version=1,
        kind=landlord.kind,
        name=landlord.display_name,
        phone="08-111 111",
        districts=list(landlord.districts.all()),
    )
    response = _post(client, coordinator, landlord, stale)
    assert response.status_code == 200 and response.context["conflict"]
    landlord.refresh_from_db()
    assert landlord.phone == "08-111 111" and landlord.version == 2
    with pytest.raises(ConflictError):
        landlords.update_landlord(
            actor=coordinator,
            landlord_id=landlord.pk,
            expected_version=1,
            kind=landlord.kind,
            name="Y",
        )


def test_deactivating_revokes_tokens_and_refuses_signals(
    client, org, landlord, token, api_as, signal_payload
):
    assert (
        api_as(key=token).post("/api/v1/signals/", signal_payload(), format="json").status_code
        == 201
    )
    coordinator = org.users["coordinator"]
    body = _body(landlord)
    del body["is_active"]  # unticked
    assert _post(client, coordinator, landlord, body).status_code == 302
    landlord.refresh_from_db()
    assert not landlord.is_active
    assert landlord.history.latest().history_change_reason == "landlord deactivated"
    assert not ApiClient.objects.filter(subject_id=landlord.pk, revoked_at__isnull=True).exists()
    refused = api_as(key=token).post("/api/v1/signals/", signal_payload(), format="json")
    assert refused.status_code == 401
    assert LandlordSignal.objects.count() == 1
    # Nor can staff file a signal under it: the check in build_signal now triggers.
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        register_signal(
            actor=coordinator,
            landlord=landlord,
            data=SignalInput(kind="other", received_on=timezone.localdate(), channel="phone"),
        )
    assert "landlord" in exc.value.message_dict
    # Reactivating does not bring the old key back: a new token must be created.
    body = _body(landlord)
    assert _post(client, coordinator, landlord, body).status_code == 302
    landlord.refresh_from_db()
    assert landlord.is_active
    again = api_as(key=token).post("/api/v1/signals/", signal_payload(), format="json")
    assert again.status_code == 401


def test_districts_the_editor_does_not_coordinate_are_kept(client, org, landlord):
    south = District.objects.create(name="Södermalm", code="sodermalm")
    landlord.districts.add(south)
    coordinator = org.users["coordinator"]
    # The form offers only Norrmalm; ticking it again keeps Södermalm as well.
    page = client
    page.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    form = page.get(reverse("cases:landlord_edit", args=[landlord.pk])).context["form"]
    assert list(form.fields["districts"].queryset) == [org.district]
    page.logout()
    body = _body(landlord, districts=[org.district.pk], phone="08-1")
    assert _post(client, coordinator, landlord, body).status_code == 302
    assert set(landlord.districts.all()) == {org.district, south}
    refused = _post(client, coordinator, landlord, _body(landlord, districts=[south.pk]))
    assert refused.status_code == 400 and "districts" in refused.context["form"].errors


def test_the_landlord_list_asks_the_same_queries_however_many_landlords(org, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.evictions.services.landlords import register_landlord

    coordinator = org.users["coordinator"]
    client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("cases:landlords")).status_code == 200
        return len(ctx)

    register_landlord(
        actor=coordinator, kind=Landlord.Kind.HOUSING_COMPANY, name="Bostadsbolaget 0"
    )
    few = list_queries()
    for n in range(1, 6):
        register_landlord(
            actor=coordinator, kind=Landlord.Kind.HOUSING_COMPANY, name=f"Bostadsbolaget {n}"
        )
    assert list_queries() == few
