"""Shelter nights: one, a range, the invoice CSV (page, command) and the API batch share one set of rules."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from housing import nights
from housing.models import ShelterNight

from .conftest import csv_bytes

pytestmark = pytest.mark.django_db

A = "19800101-2387"  # cases.a (adult unit)
P = "19900303-5624"  # cases.p (protected, granted to the coordinator only)


def test_import_prices_each_night_by_the_price_valid_that_night(org, cases, shelter, coordinator):
    rows, problems = nights.parse_csv(
        csv_bytes(
            f"{A},Härbärget Navet,2026-03-14,Vuxenenheten",
            f"{A.replace('-', '')},härbärget navet,2026-03-15,Vuxenenheten",
            f"{A},Härbärget Navet,2026-03-16,Vuxenenheten",
            f"{A},Härbärget Navet,2026-03-17,vuxenenheten",
        )
    )
    assert problems == []
    result = nights.import_batch(actor=coordinator, rows=rows, source="import")
    assert result.ok and result.created == 4
    costs = dict(ShelterNight.objects.values_list("night", "cost"))
    assert costs[date(2026, 3, 15)] == Decimal("400") and costs[date(2026, 3, 16)] == Decimal("450")


def test_broken_rows_are_all_reported_and_nothing_is_saved(org, cases, shelter, coordinator):
    rows, _ = nights.parse_csv(
        csv_bytes(
            f"{A},Härbärget Navet,2026-03-14,Vuxenenheten",
            "19800101-2388,Härbärget Navet,2026-03-14,Vuxenenheten",
            f"{A},Okänt härbärge,2026-03-15,Vuxenenheten",
            f"{A},Härbärget Navet,14/3/2026,Vuxenenheten",
            f"{A},Härbärget Navet,2026-03-18,Ingen enhet",
            f"{A},Härbärget Navet,2007-01-01,Vuxenenheten",
        )
    )
    result = nights.import_batch(actor=coordinator, rows=rows, source="import")
    assert not result.ok
    assert [line for line, _ in result.errors] == [3, 4, 5, 6, 7]
    reasons = " ".join(reason for _, reason in result.errors)
    assert "personnummer:" in reasons and "härbärge:" in reasons and "datum:" in reasons
    assert "betalande enhet:" in reasons
    assert ShelterNight.objects.count() == 0


def test_duplicates_are_reported_and_not_counted_twice(org, cases, shelter, coordinator):
    first, _ = nights.parse_csv(csv_bytes(f"{A},Härbärget Navet,2026-03-14,Vuxenenheten"))
    nights.import_batch(actor=coordinator, rows=first, source="import")
    again, _ = nights.parse_csv(
        csv_bytes(
            f"{A},Härbärget Navet,2026-03-14,Vuxenenheten",
            f"{A},Härbärget Navet,2026-03-15,Vuxenenheten",
            f"{A},Härbärget Navet,2026-03-15,Vuxenenheten",
        )
    )
    result = nights.import_batch(actor=coordinator, rows=again, source="import")
    assert result.ok and result.created == 1 and result.duplicates == [2, 4]
    assert ShelterNight.objects.count() == 2


def test_a_protected_person_is_unknown_to_those_not_granted(
    org, cases, shelter, guide, coordinator
):
    rows, _ = nights.parse_csv(csv_bytes(f"{P},Härbärget Navet,2026-03-14,Vuxenenheten"))
    refused = nights.import_batch(actor=guide, rows=rows, source="import")
    assert not refused.ok and "ingen person som du får registrera" in refused.errors[0][1]
    assert nights.import_batch(actor=coordinator, rows=rows, source="import").created == 1


def test_command_imports_all_or_nothing(org, cases, shelter, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(f"{A},Härbärget Navet,2026-03-14,Vuxenenheten"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        csv_bytes(
            f"{A},Härbärget Navet,2026-03-20,Vuxenenheten",
            "x,Härbärget Navet,2026-03-21,Vuxenenheten",
        )
    )
    out = io.StringIO()
    call_command("import_shelter_nights", str(good), stdout=out)
    assert "1 nights imported" in out.getvalue()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_shelter_nights", str(bad), stdout=io.StringIO(), stderr=io.StringIO())
    assert ShelterNight.objects.count() == 1
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_shelter_nights", str(tmp_path / "missing.csv"))


def test_bad_header_and_encoding_are_named():
    assert (
        "paying_unit" in nights.parse_csv(b"personal_number,shelter,night\n")[1][0][1]
    )  # the column's name
    assert "UTF-8" in nights.parse_csv("a,b\n".encode("utf-16"))[1][0][1]


def test_upload_page(client, org, cases, shelter, coordinator):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    upload = SimpleUploadedFile(
        "invoice.csv", csv_bytes(f"{A},Härbärget Navet,2026-03-14,Vuxenenheten", "bad,x,y,z")
    )
    response = client.post(reverse("housing:nights_import"), {"file": upload})
    body = response.content.decode()
    # A refused file is bad input: 400, every bad row named (issue 21, point 9).
    assert response.status_code == 400 and "Rad 3" in body and ShelterNight.objects.count() == 0


def test_api_batch_same_rules(client, org, cases, shelter, coordinator, caseworker):
    url = "/api/v1/shelter-nights/"
    payload = {
        "nights": [
            {
                "personal_number": A,
                "shelter": "Härbärget Navet",
                "night": "2026-03-14",
                "paying_unit": "Vuxenenheten",
            }
        ]
    }
    client.force_login(caseworker, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(url, payload, content_type="application/json").status_code == 403
    client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    created = client.post(url, payload, content_type="application/json")
    assert created.status_code == 201 and created.json()["created"] == 1
    again = client.post(url, payload, content_type="application/json")
    assert again.status_code == 201 and again.json()["duplicates"] == [1]
    bad = client.post(
        url,
        {"nights": [{**payload["nights"][0], "night": "igår"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["row"] == 1
    malformed = client.post(url, "{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert client.get(url).status_code == 405
    assert ShelterNight.objects.count() == 1


def test_register_a_range_whole_or_not_at_all(org, cases, shelter, caseworker):
    person = cases.a.household.head
    unit = org.units["adult"]
    made = nights.register_range(
        actor=caseworker,
        person=person,
        shelter=shelter,
        first=date(2026, 3, 14),
        last=date(2026, 3, 17),
        paying_unit=unit,
    )
    assert [n.cost for n in made] == [
        Decimal("400"),
        Decimal("400"),
        Decimal("450"),
        Decimal("450"),
    ]
    with pytest.raises(ValidationError) as exc:
        nights.register_range(
            actor=caseworker,
            person=person,
            shelter=shelter,
            first=date(2026, 3, 10),
            last=date(2026, 3, 15),
            paying_unit=unit,
        )
    assert "2026-03-14" in str(exc.value.message_dict["first"])
    assert ShelterNight.objects.count() == 4


# --- Protected identity: nights of a protected person are unknown to those not granted --


def _night_for_petra(cases, shelter, coordinator, org):
    """Case P's only person has protected identity; the coordinator is granted, the adult
    unit's caseworker sees the case but not her."""
    return nights.register_range(
        actor=coordinator,
        person=cases.p.household.head,
        shelter=shelter,
        first=date(2026, 3, 14),
        last=date(2026, 3, 15),
        paying_unit=org.units["adult"],
    )


def test_case_page_hides_a_protected_persons_shelter_nights(
    client, login, org, cases, shelter, coordinator, caseworker
):
    from django.utils import timezone

    # Nights this year, so the case page's forecast would count them too.
    year = timezone.localdate().year
    nights.register_range(
        actor=coordinator,
        person=cases.p.household.head,
        shelter=shelter,
        first=date(year, 1, 10),
        last=date(year, 1, 12),
        paying_unit=org.units["adult"],
    )
    url = reverse("cases:detail", args=[cases.p.pk])
    seen = login(coordinator).get(url).content.decode()
    assert "Härbärget Navet, 3 nätter" in seen and "Kostnad hittills i år" in seen
    hidden = login(caseworker).get(url)
    assert hidden.status_code == 200
    body = hidden.content.decode()
    assert "Härbärget Navet" not in body and "Kostnad hittills i år" not in body
    assert "Inga härbärgesnätter eller placeringar" in body


def test_register_form_does_not_offer_a_protected_person(
    client, login, org, cases, shelter, caseworker
):
    petra = cases.p.household.head
    url = reverse("housing:nights_new", args=[cases.p.pk])
    page = login(caseworker).get(url)
    offered = page.context["form"].fields["person"].instances  # the people offered
    assert str(petra.pk) not in offered
    person_select = re.search(r'<select name="person".*?</select>', page.content.decode(), re.S)
    assert person_select and f'value="{petra.pk}"' not in person_select.group(0)
    response = client.post(
        url,
        {
            "person": petra.pk,
            "shelter": shelter.pk,
            "first": "2026-03-14",
            "paying_unit": org.units["adult"].pk,
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["person"]
    assert ShelterNight.objects.count() == 0
    with pytest.raises(PermissionDenied):
        nights.register_range(
            actor=caseworker,
            person=petra,
            shelter=shelter,
            first=date(2026, 3, 14),
            last=date(2026, 3, 14),
            paying_unit=org.units["adult"],
        )
    assert ShelterNight.objects.count() == 0


def test_api_batch_rejects_a_protected_person_like_an_unknown_one(
    client, login, org, cases, shelter, coordinator, guide
):
    from cases.core.services.access import grant_case_access

    # The guide works on case P (may write it) but is not granted to see Petra.
    grant_case_access(actor=coordinator, case_id=cases.p.pk, user=guide)
    row = {"shelter": "Härbärget Navet", "night": "2026-03-14", "paying_unit": "Vuxenenheten"}
    login(guide)
    protected = client.post(
        "/api/v1/shelter-nights/",
        {"nights": [{**row, "personal_number": P}]},
        content_type="application/json",
    )
    unknown = client.post(
        "/api/v1/shelter-nights/",
        {"nights": [{**row, "personal_number": "19700101-0011"}]},
        content_type="application/json",
    )
    assert protected.status_code == unknown.status_code == 400
    assert protected.json() == unknown.json()
    assert protected.json()["errors"] == [
        {"row": 1, "reason": "personnummer: ingen person som du får registrera nätter för"}
    ]
    assert ShelterNight.objects.count() == 0


def test_forecast_leaves_out_a_protected_persons_nights(
    org, cases, shelter, coordinator, caseworker
):
    from housing import selectors

    type(cases.p).objects.filter(pk=cases.p.pk).update(opened_on=date(2026, 1, 1))
    _night_for_petra(cases, shelter, coordinator, org)
    as_of = date(2026, 6, 30)
    [granted] = selectors.forecasts(coordinator, year=2026, as_of=as_of, case_ids=[cases.p.pk])
    assert granted.shelter_cost == Decimal("800")
    [hidden] = selectors.forecasts(caseworker, year=2026, as_of=as_of, case_ids=[cases.p.pk])
    assert hidden.shelter_cost == 0 and hidden.so_far == 0 and hidden.forecast == 0
