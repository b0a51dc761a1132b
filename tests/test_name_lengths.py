"""A 5,000-character name is refused, naming the field, on every form and API that takes
a name (issue 19: "a 5,000-character name is accepted and breaks the layout"): the
person and new-case forms, the landlord, partner and signal forms, the landlords' signal
API and the signal import. Nothing is saved."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.evictions.services.imports import COLUMNS, ImportRejected, import_signals
from cases.evictions.services.landlords import register_landlord
from cases.evictions.services.tokens import create_token
from cases.models import Landlord, LandlordSignal, Person
from partners.models import Partner

pytestmark = pytest.mark.django_db

LONG = "Å" * 5000


def _field_errors(response) -> set[str]:
    """The fields with errors on any form the page was rendered with."""
    assert response.status_code in (200, 400), response.status_code
    names: set[str] = set()
    for context in response.context:
        for value in context.flatten().values():
            errors = getattr(value, "errors", None)
            if isinstance(errors, dict) and hasattr(value, "fields"):
                names |= set(errors)
    return names


@pytest.fixture
def landlord(org):
    return register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Familjebostäder"
    )


def test_person_form(login, cases, caseworker):
    person = Person.objects.filter(household_id=cases.a.household_id).first()
    url = reverse("cases:person_edit", args=[cases.a.pk, person.pk])
    response = login(caseworker).post(url, {"given_name": LONG, "family_name": LONG})
    assert {"given_name", "family_name"} <= _field_errors(response)
    person.refresh_from_db()
    assert len(person.given_name) < 200


def test_new_case_form(login, coordinator):
    data = {
        "people-TOTAL_FORMS": "1",
        "people-INITIAL_FORMS": "0",
        "children-TOTAL_FORMS": "0",
        "children-INITIAL_FORMS": "0",
        "people-0-given_name": LONG,
        "people-0-family_name": LONG,
    }
    response = login(coordinator).post(reverse("cases:create"), data)
    assert response.status_code in (200, 400)
    errors = response.context["people"].forms[0].errors
    assert {"given_name", "family_name"} <= set(errors)


def test_landlord_form(login, admin_user, landlord):
    response = login(admin_user).post(reverse("cases:landlord_new"), {"name": LONG})
    assert "name" in _field_errors(response)
    assert Landlord.objects.count() == 1  # only the fixture's


def test_partner_form(login, coordinator):
    response = login(coordinator).post(reverse("partners:new"), {"name": LONG})
    assert "name" in _field_errors(response)
    assert not Partner.objects.filter(name=LONG).exists()


def test_signal_form(login, coordinator, landlord):
    response = login(coordinator).post(
        reverse("cases:signal_new"),
        {
            "landlord": landlord.pk,
            "kind": "rent_arrears",
            "channel": "phone",
            "received_on": timezone.localdate().isoformat(),
            "name": LONG,
        },
    )
    assert "name" in _field_errors(response)
    assert not LandlordSignal.objects.exists()


def test_signal_api(landlord):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {create_token(landlord=landlord)}")
    response = client.post(
        "/api/v1/signals/",
        {"kind": "rent_arrears", "received_on": timezone.localdate().isoformat(), "name": LONG},
        format="json",
    )
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert not LandlordSignal.objects.exists()


def test_signal_import(landlord):
    today = timezone.localdate().isoformat()
    csv = ",".join(COLUMNS) + "\n" + f'rent_arrears,{today},,"{LONG}",,,,,\n'
    with pytest.raises(ImportRejected) as rejected:
        import_signals(landlord=landlord, data=csv)
    assert [e.field for e in rejected.value.errors] == ["name"]
    assert not LandlordSignal.objects.exists()


def test_services_refuse_it_whatever_the_way_in(cases, caseworker, org):
    """The services refuse it too, so a way in without a form (an API, an import, a
    script) cannot store it."""
    from django.core.exceptions import ValidationError

    from cases.core.services.people import PersonData, update_person

    person = Person.objects.filter(household_id=cases.a.household_id).first()
    with pytest.raises(ValidationError) as refused:
        update_person(
            actor=caseworker,
            case_id=cases.a.pk,
            person_id=person.pk,
            expected_version=person.version,
            data=PersonData(given_name=LONG, family_name="Adultsson"),
        )
    assert set(refused.value.message_dict) == {"given_name"}
    with pytest.raises(ValidationError) as refused:
        register_landlord(actor=org.users["admin"], kind=Landlord.Kind.PRIVATE, name=LONG)
    assert set(refused.value.message_dict) == {"name"}
