"""The apartment list offers what each role may do, the comparison is for the housing teams
(coordinators and guides), and a coordinator of several districts chooses the district
of a new apartment."""

from datetime import date

import pytest
from django.urls import reverse

from housing.models import Apartment, Shelter, ShelterNight, ShelterPrice

pytestmark = pytest.mark.django_db

NEW = reverse("housing:apartment_new")
IMPORT = reverse("housing:nights_import")
COMPARE = reverse("housing:comparison")


@pytest.mark.parametrize(
    "role,links",
    [("coordinator", {NEW, IMPORT, COMPARE}), ("guide", {IMPORT, COMPARE})],
)
def test_the_list_links_to_what_the_role_may_open(client, login, org, role, links):
    body = login(org.users[role]).get(reverse("housing:apartments")).content.decode()
    shown = {url for url in (NEW, IMPORT, COMPARE) if f'href="{url}"' in body}
    assert shown == links
    for url in shown:
        assert client.get(url).status_code == 200
    for url in {NEW, IMPORT, COMPARE} - shown:
        assert client.get(url).status_code == 403


def test_a_guide_compares_their_own_district(login, org, cases, shelter, other_district):
    from decimal import Decimal

    south = Shelter.objects.create(name="Söderhärbärget", district=other_district.district)
    ShelterPrice.objects.create(shelter=south, valid_from=date(2008, 1, 1), price_per_night=500)
    ShelterNight.objects.bulk_create(
        [
            ShelterNight(
                person=cases.a.household.head,
                shelter=shelter,
                night=date(2010, 3, 1),
                cost=Decimal("400"),
                paying_unit=org.units["adult"],
            ),
            ShelterNight(
                person=cases.b.household.head,
                shelter=south,
                night=date(2010, 3, 1),
                cost=Decimal("500"),
                paying_unit=other_district.adult,
            ),
        ]
    )
    period = {"start": "2010-01-01", "end": "2010-12-31"}
    north = login(org.users["guide"]).get(COMPARE, period).context["result"]
    assert (north.current.nights, north.current.cost) == (1, Decimal("400"))
    south_result = login(other_district.guide).get(COMPARE, period).context["result"]
    assert (south_result.current.nights, south_result.current.cost) == (1, Decimal("500"))


def _apartment_data(**extra):
    return {
        "kind": "training",
        "reference": "LGH-20",
        "address": "Nya gatan 20",
        "rent": "5000",
        "status_since": "2026-03-01",
        **extra,
    }


def test_a_coordinator_of_one_district_is_not_asked(login, org, coordinator):
    client = login(coordinator)
    assert "district" not in client.get(NEW).context["form"].fields
    assert client.post(NEW, _apartment_data()).status_code == 302
    assert Apartment.objects.get().district == org.district


def test_a_coordinator_of_two_districts_chooses(login, org, coordinator, other_district):
    from bokvar.services import add_membership

    add_membership(user=coordinator, unit=other_district.team, role="coordinator")
    client = login(coordinator)
    field = client.get(NEW).context["form"].fields["district"]
    assert set(field.queryset) == {org.district, other_district.district}
    missing = client.post(NEW, _apartment_data())
    assert missing.status_code == 200 and missing.context["form"].errors["district"]
    from bokvar.models import District

    third = District.objects.create(code="kungsholmen", name="Kungsholmen")
    elsewhere = client.post(NEW, _apartment_data(district=third.pk))
    assert elsewhere.status_code == 200 and elsewhere.context["form"].errors["district"]
    assert not Apartment.objects.exists()
    assert client.post(NEW, _apartment_data(district=other_district.district.pk)).status_code == 302
    assert Apartment.objects.get().district == other_district.district


def test_a_district_the_coordinator_does_not_run_cannot_be_chosen(
    login, org, coordinator, other_district
):
    from bokvar.models import District
    from bokvar.services import add_membership

    add_membership(user=coordinator, unit=other_district.team, role="guide")
    third = District.objects.create(code="kungsholmen", name="Kungsholmen")
    client = login(coordinator)
    # A guide elsewhere is no coordinator there: still one district, nothing to choose.
    assert "district" not in client.get(NEW).context["form"].fields
    response = client.post(NEW, _apartment_data(district=third.pk))
    assert response.status_code == 302
    assert Apartment.objects.get().district == org.district
