"""A batch names the paying unit within the importer's own districts, and a night already
registered at another shelter is a conflict, not a duplicate (CSV page, command, API)."""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from bokvar.models import Unit
from bokvar.services import add_membership, create_unit
from housing import nights
from housing.models import Shelter, ShelterNight, ShelterPrice

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

A = "19800101-2387"  # cases.a (adult unit of Norrmalm)
ROW = f"{A},Härbärget Navet,2026-03-14,Vuxenenheten"


@pytest.fixture
def namesake(other_district):
    """Södermalm has an adult unit called just like Norrmalm's."""
    return create_unit(district=other_district.district, name="Vuxenenheten", kind=Unit.Kind.ADULT)


def _import(actor, *rows):
    parsed, problems = nights.parse_csv(csv_bytes(*rows))
    assert problems == []
    with translation.override("en"):
        return nights.import_batch(actor=actor, rows=parsed, source="import")


def test_the_unit_is_looked_up_in_the_importers_district(
    org, cases, shelter, coordinator, namesake
):
    result = _import(coordinator, ROW)
    assert result.ok and result.created == 1
    assert ShelterNight.objects.get().paying_unit == org.units["adult"]


def test_a_unit_of_another_district_is_unknown(org, cases, shelter, coordinator, other_district):
    result = _import(coordinator, f"{A},Härbärget Navet,2026-03-14,Vuxenenheten Söder")
    assert result.errors == [(2, "paying_unit: unknown unit 'Vuxenenheten Söder'")]
    assert ShelterNight.objects.count() == 0


def test_a_name_of_two_of_the_importers_units_is_rejected(
    org, cases, shelter, coordinator, other_district, namesake
):
    add_membership(user=coordinator, unit=other_district.team, role="coordinator")
    coordinator = type(coordinator).objects.get(pk=coordinator.pk)  # roles are cached
    result = _import(coordinator, ROW, f"{A},Härbärget Navet,2026-03-15,Bo Kvar Söder")
    [(line, reason)] = result.errors
    assert line == 2 and reason.startswith("paying_unit: more than one unit is called")
    assert "'Vuxenenheten'" in reason
    assert ShelterNight.objects.count() == 0


def test_the_command_looks_first_in_the_shelters_district(
    org, cases, shelter, namesake, other_district, tmp_path
):
    south = Shelter.objects.create(name="Söderhärbärget", district=other_district.district)
    ShelterPrice.objects.create(shelter=south, valid_from=date(2020, 1, 1), price_per_night=500)
    invoice = tmp_path / "invoice.csv"
    invoice.write_bytes(
        csv_bytes(
            f"{A},Härbärget Navet,2026-03-14,Vuxenenheten",
            f"{A},Söderhärbärget,2026-03-15,Vuxenenheten",
            f"{A},Söderhärbärget,2026-03-16,Vuxenenheten Söder",
        )
    )
    call_command("import_shelter_nights", str(invoice), stdout=io.StringIO())
    paid = dict(ShelterNight.objects.values_list("night", "paying_unit"))
    assert paid == {
        date(2026, 3, 14): org.units["adult"].pk,
        date(2026, 3, 15): namesake.pk,
        date(2026, 3, 16): other_district.adult.pk,
    }


def test_the_command_rejects_a_name_it_cannot_place(org, cases, shelter, other_district, tmp_path):
    from bokvar.models import District

    # Two other districts have a unit of that name, the shelter's district none: which
    # one pays cannot be told.
    third = District.objects.create(code="kungsholmen", name="Kungsholmen")
    for district in (other_district.district, third):
        create_unit(district=district, name="Socialpsykiatrin", kind=Unit.Kind.ADULT)
    invoice = tmp_path / "invoice.csv"
    invoice.write_bytes(csv_bytes(f"{A},Härbärget Navet,2026-03-14,Socialpsykiatrin"))
    err = io.StringIO()
    with pytest.raises(CommandError), translation.override("en"):
        call_command("import_shelter_nights", str(invoice), stdout=io.StringIO(), stderr=err)
    assert "line 2: paying_unit: more than one unit" in err.getvalue()
    assert ShelterNight.objects.count() == 0


def test_the_api_and_the_page_use_the_importers_districts(
    client, login, org, cases, shelter, coordinator, namesake
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(coordinator)
    upload = SimpleUploadedFile("invoice.csv", csv_bytes(ROW))
    assert client.post(reverse("housing:nights_import"), {"file": upload}).status_code == 200
    night = {
        "personal_number": A,
        "shelter": "Härbärget Navet",
        "night": "2026-03-15",
        "paying_unit": "Vuxenenheten",
    }
    response = client.post(
        "/api/v1/shelter-nights/", {"nights": [night]}, content_type="application/json"
    )
    assert response.status_code == 201
    assert set(ShelterNight.objects.values_list("paying_unit", flat=True)) == {
        org.units["adult"].pk
    }


# --- One person, one night: another shelter the same night is a conflict ----------------


@pytest.fixture
def second_shelter(org):
    other = Shelter.objects.create(name="Stadsmissionens härbärge", district=org.district)
    ShelterPrice.objects.create(shelter=other, valid_from=date(2020, 1, 1), price_per_night=350)
    return other


def test_a_night_at_another_shelter_is_a_conflict(org, cases, shelter, second_shelter, coordinator):
    assert _import(coordinator, ROW).created == 1
    result = _import(
        coordinator,
        f"{A},Stadsmissionens härbärge,2026-03-14,Vuxenenheten",
        ROW,
        f"{A},Stadsmissionens härbärge,2026-03-15,Vuxenenheten",
    )
    assert result.errors == [
        (2, "night: already registered at Härbärget Navet on that date"),
    ]
    assert ShelterNight.objects.count() == 1


def test_two_shelters_the_same_night_in_one_batch(org, cases, shelter, second_shelter, coordinator):
    result = _import(
        coordinator,
        ROW,
        f"{A},Stadsmissionens härbärge,2026-03-14,Vuxenenheten",
        ROW,
    )
    # Line 3 conflicts with line 2; line 4 repeats line 2 and is a plain duplicate.
    assert result.errors == [(3, "night: already registered at Härbärget Navet on that date")]
    assert result.duplicates == [4]
    assert ShelterNight.objects.count() == 0


def test_the_api_reports_the_conflict(client, login, org, cases, shelter, second_shelter):
    login(org.users["coordinator"])
    night = {
        "personal_number": A,
        "shelter": "Härbärget Navet",
        "night": "2026-03-14",
        "paying_unit": "Vuxenenheten",
    }
    url = "/api/v1/shelter-nights/"
    assert client.post(url, {"nights": [night]}, content_type="application/json").status_code == 201
    response = client.post(
        url,
        {"nights": [{**night, "shelter": "Stadsmissionens härbärge"}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] == 1
    assert "Härbärget Navet" in response.json()["errors"][0]["reason"]
    assert ShelterNight.objects.count() == 1
