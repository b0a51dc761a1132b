"""Every housing URL × role: who may, who may not (403), and who may not know (404)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from housing import services
from housing.models import Apartment

pytestmark = pytest.mark.django_db

ROLES = [
    "coordinator",
    "guide",
    "caseworker",
    "caseworker2",
    "steering",
    "auditor",
    "admin",
    "outsider",
]


@pytest.fixture
def placement(org, cases, coordinator, guide):
    apartment = services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRAINING,
        reference="LGH-9",
        address="Hemliga gatan 9",
        rent=Decimal("5000"),
        status_since=date(2025, 1, 1),
    )
    return services.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=guide,
        monthly_cost=Decimal("900"),
        goals={"social_skills": True},
        plan="Plan med känsligt innehåll",
    )


def _login(client, org, outsider, role):
    user = outsider if role == "outsider" else org.users[role]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


EXPECTED = {
    # url name: {role: status}; roles not listed answer 403
    "apartments": {"coordinator": 200, "guide": 200},
    "apartment_new": {"coordinator": 200},
    "nights_import": {"coordinator": 200, "guide": 200},
    "forecast": {"coordinator": 200, "guide": 200, "caseworker": 200, "caseworker2": 200},
    "comparison": {"coordinator": 200},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(EXPECTED))
def test_pages_without_objects(client, org, outsider, role, name):
    _login(client, org, outsider, role)
    assert client.get(reverse(f"housing:{name}")).status_code == EXPECTED[name].get(role, 403)


# Case A belongs to the adult unit (caseworker); after the placement the guide follows it too.
CASE_PAGES = {
    "nights_new": {"coordinator": 200, "guide": 200, "caseworker": 200, "caseworker2": 404},
    "cost_new": {"coordinator": 200, "guide": 200, "caseworker": 200, "caseworker2": 404},
    "placement_new": {"coordinator": 200, "guide": 403, "caseworker": 403, "caseworker2": 403},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(CASE_PAGES))
def test_case_scoped_pages(client, org, outsider, cases, placement, role, name):
    _login(client, org, outsider, role)
    status = client.get(reverse(f"housing:{name}", args=[cases.a.pk])).status_code
    assert status == CASE_PAGES[name].get(role, 403)


@pytest.mark.parametrize("role", ROLES)
def test_placement_pages(client, org, outsider, placement, role):
    _login(client, org, outsider, role)
    expected = {"coordinator": 200, "guide": 200, "caseworker": 200, "caseworker2": 404}.get(
        role, 403
    )
    detail = client.get(reverse("housing:placement", args=[placement.pk]))
    assert detail.status_code == expected
    if expected != 200:
        assert "Plan med känsligt innehåll" not in detail.content.decode()
    end = client.get(reverse("housing:placement_end", args=[placement.pk]))
    assert end.status_code == expected


def test_only_the_guide_and_coordinators_write_progress_notes(client, org, placement):
    url = reverse("housing:placement", args=[placement.pk])
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(url, {"on": "2025-03-01", "note": "x"}).status_code == 403
    client.force_login(org.users["guide"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(url, {"on": "2025-03-01", "note": "Första hembesöket"}).status_code == 302
    assert placement.notes.count() == 1


def test_apartment_detail_hides_cases_the_user_cannot_see(client, org, placement):
    url = reverse("housing:apartment", args=[placement.apartment_id])
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert placement.case.number in client.get(url).content.decode()
    from bokvar.services import add_membership

    other_guide = org.users["guide"].__class__.objects.create(username="guide2")
    add_membership(user=other_guide, unit=org.units["housing_team"], role="guide")
    client.force_login(other_guide, backend="django.contrib.auth.backends.ModelBackend")
    body = client.get(url).content.decode()
    assert placement.case.number not in body and "ingen behörighet" in body


def test_wrong_methods(client, org):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.post(reverse("housing:apartments")).status_code == 405
    assert client.post(reverse("housing:forecast")).status_code == 405


def test_case_page_shows_the_housing_chain(client, org, cases, placement):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    body = client.get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert "Boendekedja" in body and "Träningslägenhet" in body


def test_no_plaintext_housing_data(org, placement, coordinator):
    from housing.models import CostCategory
    from tests.test_no_plaintext import raw_text_values

    services.add_progress_note(
        actor=coordinator,
        placement_id=placement.pk,
        on=date(2025, 3, 1),
        note="Spelberoende i perioder",
    )
    services.add_cost_item(
        actor=coordinator,
        case_id=placement.case_id,
        category=CostCategory.objects.create(name="Hemtjänst"),
        on=date(2025, 3, 1),
        amount=Decimal("100"),
        note="Skuldsanering pågår",
    )
    secrets = ["Hemliga gatan 9", "Plan med känsligt innehåll", "Spelberoende", "Skuldsanering"]
    leaks = [(t, c) for t, c, v in raw_text_values() for s in secrets if s in v]
    assert leaks == []
