"""The coordinator's path through a case, over HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case, HouseholdChild, Person
from tests.case_fixtures import search_cases

pytestmark = pytest.mark.django_db


def create_payload(org, **overrides) -> dict:
    data = {
        "kind": "eviction_prevention",
        "responsible_unit": org.units["housing_team"].pk,
        "assignees": [org.users["coordinator"].pk],
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "1",
        "people-MAX_NUM_FORMS": "8",
        "people-0-given_name": "Lina",
        "people-0-family_name": "Åkesson",
        "people-0-personal_number": "600707-1290",
        "people-0-address": "Dalagatan 12\n113 24 Stockholm",
        "people-0-phone": "070-111 22 33",
        "people-0-email": "lina@example.se",
        "people-0-protected_identity": "none",
        "people-0-notes": "Hyresskuld 24 000 kr",
        "people-1-protected_identity": "none",
        "children-TOTAL_FORMS": "3",
        "children-INITIAL_FORMS": "0",
        "children-MIN_NUM_FORMS": "0",
        "children-MAX_NUM_FORMS": "12",
        "children-0-birth_year": "2014",
        "children-1-birth_year": "2018",
        "children-2-birth_year": "",
    }
    data.update(overrides)
    return data


def test_create_find_edit_and_see_history(client, org):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.post(reverse("cases:create"), create_payload(org))
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    assert case.number.startswith("BK-")
    assert HouseholdChild.objects.filter(household=case.household).count() == 2
    assert (
        Person.objects.filter(household=case.household).count() == 1
    )  # the empty second row is skipped

    # Found again by the identity number typed without a dash, and in the 12-digit form.
    for q in ["6007071290", "196007071290", "19600707-1290"]:
        listing = search_cases(client, q).content.decode()
        assert case.number in listing, q
    assert case.number in search_cases(client, "lina  ÅKESSON").content.decode()
    assert case.number in search_cases(client, case.number.lower()).content.decode()
    assert case.number not in search_cases(client, "198001012387").content.decode()

    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Lina Åkesson" in page and "19600707-1290" in page and "2 barn" in page

    person = case.household.head
    edit = client.post(
        reverse("cases:person_edit", args=[case.pk, person.pk]),
        {
            "given_name": "Lina",
            "family_name": "Åkesson",
            "personal_number": "19600707-1290",
            "address": "Odengatan 1",
            "phone": "070-999 88 77",
            "protected_identity": "none",
            "version": person.version,
        },
    )
    assert edit.status_code == 302
    person.refresh_from_db()
    assert person.address == "Odengatan 1"
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Ändringar" in page and "Anette Sjöberg" in page and "adress" in page


def test_caseworker2_cannot_find_the_case_until_granted(client, org):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    client.post(reverse("cases:create"), create_payload(org), follow=True)
    case = Case.objects.get()
    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert case.number not in search_cases(client, "6007071290").content.decode()
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404

    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    granted = client.post(
        reverse("cases:access", args=[case.pk]), {"user": org.users["caseworker2"].pk}
    )
    assert granted.status_code == 302

    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert case.number in search_cases(client, "6007071290").content.decode()
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200


def test_invalid_identity_number_is_named_and_nothing_is_saved(client, org):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.post(
        reverse("cases:create"), create_payload(org, **{"people-0-personal_number": "600707-1291"})
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Personnummer" in body and "giltigt personnummer" in body
    assert not Case.objects.exists() and not Person.objects.exists()


def test_duplicate_identity_number_is_refused_without_half_saving(client, org):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    client.post(reverse("cases:create"), create_payload(org))
    counts = (Case.objects.count(), Person.objects.count(), HouseholdChild.objects.count())
    response = client.post(reverse("cases:create"), create_payload(org))
    assert response.status_code == 200
    assert "redan registrerad" in response.content.decode()
    assert (Case.objects.count(), Person.objects.count(), HouseholdChild.objects.count()) == counts


def test_future_child_birth_year_and_missing_name_are_named(client, org):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.post(
        reverse("cases:create"),
        create_payload(org, **{"children-0-birth_year": "2999", "people-0-given_name": ""}),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Förnamn" in body and "Barn 1" in body
    assert not Case.objects.exists()


def test_caseworker_cannot_create_a_case_for_another_unit(client, org):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        reverse("cases:create"),
        create_payload(org, responsible_unit=org.units["income_support"].pk),
    )
    assert response.status_code == 200  # the unit is not among the choices
    assert not Case.objects.exists()


def test_closing_asks_for_the_outcome(client, org, cases):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("cases:close", args=[cases.a.pk])
    response = client.post(
        url, {"outcome": "", "closed_on": "2026-11-01", "version": cases.a.version}
    )
    assert response.status_code == 200 and "Utfall" in response.content.decode()
    response = client.post(
        url,
        {
            "outcome": "lease_kept",
            "closed_on": cases.a.opened_on.isoformat(),
            "version": cases.a.version,
        },
    )
    assert response.status_code == 302
    cases.a.refresh_from_db()
    assert cases.a.status == "closed" and cases.a.outcome == "lease_kept"


def test_case_numbers_are_sequential_per_year(make_case):
    first, second = make_case(), make_case()
    year_a, n_a = first.number.rsplit("-", 1)
    year_b, n_b = second.number.rsplit("-", 1)
    assert year_a == year_b and int(n_b) == int(n_a) + 1


def test_history_names_the_actor_and_reason(cases, org):
    record = cases.a.history.earliest()
    assert record.history_user == org.users["coordinator"]
    assert record.history_change_reason == "case created"
    person_record = cases.a.household.head.history.earliest()
    assert person_record.history_user == org.users["coordinator"]


def test_landlords_are_found_by_name_and_private_names_are_encrypted(org):
    from django.core.exceptions import PermissionDenied, ValidationError

    from cases.evictions.selectors import find_landlord_by_name
    from cases.evictions.services.landlords import register_landlord

    company = register_landlord(
        actor=org.users["admin"], kind="housing_company", name="Familjebostäder"
    )
    private = register_landlord(
        actor=org.users["coordinator"], kind="private", name="Greta Hyresvärd"
    )
    assert find_landlord_by_name("familjebostäder") == company
    assert find_landlord_by_name("GRETA  hyresvärd") == private
    assert str(private) == f"#{private.pk}" and private.display_name == "Greta Hyresvärd"
    with pytest.raises(ValidationError) as exc:
        register_landlord(actor=org.users["admin"], kind="private", name="Greta Hyresvärd")
    assert "name" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        register_landlord(actor=org.users["caseworker"], kind="private", name="Nils Nilsson")
