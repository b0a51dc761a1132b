"""Every housing URL × role: who may, who may not (403), and who may not know (404)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from housing import services
from housing.models import Apartment
from tests.shared_data import SHARED, load_organisation, register_layer

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


def _start_placement(*, coordinator, guide, district_id: int, case_id: int):
    apartment = services.create_apartment(
        actor=coordinator,
        district_id=district_id,
        kind=Apartment.Kind.TRAINING,
        reference="LGH-9",
        address="Hemliga gatan 9",
        rent=Decimal("5000"),
        status_since=date(2025, 1, 1),
    )
    return services.start_placement(
        actor=coordinator,
        case_id=case_id,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=guide,
        monthly_cost=Decimal("900"),
        goals={"social_skills": True},
        plan="Plan med känsligt innehåll",
    )


@register_layer("housing_permissions_placement", after="cases")
def _build_placement_layer() -> int:
    district, _units, users = load_organisation()
    case_a = SHARED.layer_data("cases")["a"]
    return _start_placement(
        coordinator=users["coordinator"],
        guide=users["guide"],
        district_id=district.pk,
        case_id=case_a,
    ).pk


@pytest.fixture
def housing_permissions_placement(org, cases, coordinator, guide) -> int:
    """Case A's placement: built once for the consecutive tests of this module that use
    it (a layer, tests/shared_data.py; each test's writes are still rolled back), else
    here."""
    pk = SHARED.layer_data("housing_permissions_placement")
    if pk is None:
        return _start_placement(
            coordinator=coordinator, guide=guide, district_id=org.district.pk, case_id=cases.a.pk
        ).pk
    return pk


@pytest.fixture
def placement(housing_permissions_placement):
    from housing.models import Placement

    return Placement.objects.get(pk=housing_permissions_placement)


def _login(client, org, outsider, role):
    user = outsider if role == "outsider" else org.users[role]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


EXPECTED = {
    # url name: {role: status}; roles not listed answer 403
    "apartments": {"coordinator": 200, "guide": 200},
    "apartment_new": {"coordinator": 200},
    "nights_import": {"coordinator": 200, "guide": 200},
    "forecast": {"coordinator": 200, "guide": 200, "caseworker": 200, "caseworker2": 200},
    "comparison": {"coordinator": 200, "guide": 200},
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
    # DESIGN §2: the guide records placements on her cases (issue 19, point 3).
    "placement_new": {"coordinator": 200, "guide": 200, "caseworker": 403, "caseworker2": 403},
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
    # Ending a placement changes the apartment: its guide and the coordinators only.
    end = client.get(reverse("housing:placement_end", args=[placement.pk]))
    assert end.status_code == {"coordinator": 200, "guide": 200}.get(role, 403)


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


# --- Writes by those who may not: refused, and nothing saved ---------------------------

# Who may not POST, and what they get. Case A is the adult unit's: its caseworker may
# register nights and costs there (the GET matrix above), the other unit's may not know it.
OTHERS = {"steering": 403, "auditor": 403, "admin": 403, "outsider": 403, "anon": 302}
POST_DENIED = {
    "nights_new": {"caseworker2": 404, **OTHERS},
    "cost_new": {"caseworker2": 404, **OTHERS},
    "placement_new": {"caseworker": 403, "caseworker2": 403, **OTHERS},
    "apartment_new": {"guide": 403, "caseworker": 403, "caseworker2": 403, **OTHERS},
    "nights_import": {"caseworker": 403, "caseworker2": 403, **OTHERS},
    "placement_end": {"caseworker": 403, "caseworker2": 403, **OTHERS},
    "apartment_status": {"caseworker": 403, "caseworker2": 403, **OTHERS},
}


@pytest.fixture
def vacant(org, coordinator):
    return services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRIAL,
        reference="LGH-10",
        address="Tomma gatan 10",
        rent=Decimal("6000"),
        status_since=date(2025, 1, 1),
    )


def _post(client, name, *, cases, placement, vacant, shelter, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import csv_bytes

    a = cases.a.pk
    requests = {
        "nights_new": (
            reverse("housing:nights_new", args=[a]),
            {
                "person": cases.a.household.head_id,
                "shelter": shelter.pk,
                "first": "2026-03-14",
                "paying_unit": org.units["adult"].pk,
                # Case A's household is placed then (the `placement` fixture).
                "during_placement_confirmed": "on",
            },
        ),
        "cost_new": (
            reverse("housing:cost_new", args=[a]),
            {"category": _category().pk, "on": "2026-03-01", "amount": "100"},
        ),
        "placement_new": (
            reverse("housing:placement_new", args=[a]),
            {
                "apartment": vacant.pk,
                "start_on": "2026-03-01",
                "contract_type": "second_hand",
                "monthly_cost": "1000",
            },
        ),
        "apartment_new": (
            reverse("housing:apartment_new"),
            {
                "kind": "training",
                "reference": "LGH-11",
                "address": "Nya gatan 11",
                "rent": "5000",
                "status_since": "2026-03-01",
            },
        ),
        "nights_import": (
            reverse("housing:nights_import"),
            {
                "file": SimpleUploadedFile(
                    "invoice.csv",
                    csv_bytes("19800101-2387,Härbärget Navet,2026-03-14,Vuxenenheten"),
                )
            },
        ),
        "placement_end": (
            reverse("housing:placement_end", args=[placement.pk]),
            {"end_on": "2026-03-01", "outcome": "moved_on", "version": placement.version},
        ),
        "apartment_status": (
            reverse("housing:apartment_status", args=[vacant.pk]),
            {"status": "renovation", "since": "2026-03-01", "version": vacant.version},
        ),
    }
    url, data = requests[name]
    return client.post(url, data)


def _category():
    from housing.models import CostCategory

    return CostCategory.objects.get_or_create(name="Hemtjänst")[0]


def _snapshot():
    from housing.models import CostItem, Placement, ShelterNight

    return {
        "nights": ShelterNight.objects.count(),
        "costs": CostItem.objects.count(),
        "apartments": sorted(Apartment.objects.values_list("pk", "status", "version")),
        "placements": sorted(Placement.objects.values_list("pk", "end_on", "outcome", "version")),
    }


@pytest.mark.parametrize(
    "name,role", [(name, role) for name, roles in POST_DENIED.items() for role in roles]
)
def test_writes_by_those_who_may_not(
    client, org, outsider, cases, placement, vacant, shelter, name, role
):
    if role != "anon":
        _login(client, org, outsider, role)
    _category()
    before = _snapshot()
    response = _post(
        client, name, cases=cases, placement=placement, vacant=vacant, shelter=shelter, org=org
    )
    assert response.status_code == POST_DENIED[name][role]
    if role == "anon":
        assert response["Location"].startswith(reverse("login"))
    assert _snapshot() == before


@pytest.mark.parametrize("name", list(POST_DENIED))
def test_writes_by_those_who_may(client, org, cases, placement, vacant, shelter, name):
    """The same requests from the coordinator are saved: the refusals above are about
    the role, not the data."""
    _login(client, org, None, "coordinator")
    _category()
    before = _snapshot()
    response = _post(
        client, name, cases=cases, placement=placement, vacant=vacant, shelter=shelter, org=org
    )
    assert response.status_code in (200, 302)
    assert _snapshot() != before


def test_only_the_placements_guide_ends_it(client, org, placement):
    from bokvar.services import add_membership
    from cases.core.services.access import grant_case_access

    other_guide = org.users["guide"].__class__.objects.create(username="guide2")
    add_membership(user=other_guide, unit=org.units["housing_team"], role="guide")
    grant_case_access(actor=org.users["coordinator"], case_id=placement.case_id, user=other_guide)
    client.force_login(other_guide, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("housing:placement_end", args=[placement.pk])
    assert client.get(reverse("housing:placement", args=[placement.pk])).status_code == 200
    response = client.post(
        url, {"end_on": "2026-03-01", "outcome": "moved_on", "version": placement.version}
    )
    assert response.status_code == 403
    placement.refresh_from_db()
    assert placement.end_on is None


# --- The apartment page ------------------------------------------------------------------


@pytest.mark.parametrize("role", [*ROLES, "anon"])
def test_apartment_detail_for_every_role(client, org, outsider, placement, role):
    if role != "anon":
        _login(client, org, outsider, role)
    response = client.get(reverse("housing:apartment", args=[placement.apartment_id]))
    expected = {"coordinator": 200, "guide": 200, "anon": 302}.get(role, 403)
    assert response.status_code == expected
    if expected != 200:
        assert "Hemliga gatan" not in response.content.decode()


def test_apartment_of_another_district_is_unknown(client, org, placement, other_district):
    for user in (other_district.coordinator, other_district.guide):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        url = reverse("housing:apartment", args=[placement.apartment_id])
        assert client.get(url).status_code == 404
        status = reverse("housing:apartment_status", args=[placement.apartment_id])
        assert client.post(status, {"status": "renovation"}).status_code == 404


# --- The API batch -------------------------------------------------------------------------

API = "/api/v1/shelter-nights/"
NIGHT = {
    "personal_number": "19800101-2387",
    "shelter": "Härbärget Navet",
    "night": "2026-03-14",
    "paying_unit": "Vuxenenheten",
}


@pytest.mark.parametrize(
    "role,expected",
    # Anonymous: 401, the API asks for a token (Authorization: Token).
    [("guide", 201), ("coordinator", 201), ("steering", 403), ("auditor", 403), ("anon", 401)],
)
def test_api_batch_by_role(client, org, outsider, cases, shelter, role, expected):
    from cases.core.services.access import grant_case_access
    from housing.models import ShelterNight

    # The guide registers nights for the clients they work with.
    grant_case_access(actor=org.users["coordinator"], case_id=cases.a.pk, user=org.users["guide"])
    if role != "anon":
        _login(client, org, outsider, role)
    response = client.post(API, {"nights": [NIGHT]}, content_type="application/json")
    assert response.status_code == expected
    assert ShelterNight.objects.count() == (1 if expected == 201 else 0)


# --- The guide's placements (issue 19, point 3; DESIGN §2) -----------------------------


def test_the_guide_records_a_placement_on_her_case_and_follows_it(
    client, org, cases, placement, vacant
):
    """Case A is hers (she follows its first placement); "New placement" answered 403."""
    guide = org.users["guide"]
    _login(client, org, None, "guide")
    response = client.post(
        reverse("housing:placement_new", args=[cases.a.pk]),
        {
            "apartment": vacant.pk,
            "start_on": "2026-03-01",
            "contract_type": "second_hand",
            "monthly_cost": "1000",
            "plan": "Hembesök varannan vecka",
        },
    )
    assert response.status_code == 302
    new = vacant.placements.get(case=cases.a)
    assert new.guide == guide
    assert new.history.get().history_user == guide
    # And she writes its training follow-up.
    note = client.post(
        reverse("housing:placement", args=[new.pk]), {"on": "2026-03-05", "note": "Första besöket"}
    )
    assert note.status_code == 302 and new.notes.count() == 1


def test_a_guide_cannot_name_another_guide_for_her_placement(
    client, org, cases, placement, vacant, guide
):
    from bokvar.services import add_membership

    other_guide = org.users["guide"].__class__.objects.create(username="guide2")
    add_membership(user=other_guide, unit=org.units["housing_team"], role="guide")
    _login(client, org, None, "guide")
    response = client.post(
        reverse("housing:placement_new", args=[cases.a.pk]),
        {
            "apartment": vacant.pk,
            "start_on": "2026-03-01",
            "contract_type": "second_hand",
            "monthly_cost": "1000",
            "guide": other_guide.pk,
        },
    )
    # Her form offers only herself; the service says the same to any other caller.
    assert response.context["form"].errors["guide"]
    vacant.refresh_from_db()
    assert vacant.status == Apartment.Status.VACANT
    with pytest.raises(ValidationError) as refused:
        services.start_placement(
            actor=guide,
            case_id=cases.a.pk,
            apartment_id=vacant.pk,
            start_on=date(2026, 3, 1),
            guide=other_guide,
            monthly_cost=Decimal("1000"),
            goals={},
        )
    assert "guide" in refused.value.message_dict


def test_a_guide_cannot_place_on_a_case_that_is_not_hers(client, org, cases, vacant):
    """Case B is the income-support unit's and not assigned to her: she may not know it."""
    _login(client, org, None, "guide")
    url = reverse("housing:placement_new", args=[cases.b.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "role, shown", [("coordinator", True), ("guide", True), ("caseworker", False)]
)
def test_new_placement_is_shown_only_to_those_who_may_record_one(
    client, org, cases, placement, role, shown
):
    _login(client, org, None, role)
    body = client.get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert (reverse("housing:placement_new", args=[cases.a.pk]) in body) is shown
    # Shelter nights and costs stay open to every case worker on the case.
    assert reverse("housing:nights_new", args=[cases.a.pk]) in body
