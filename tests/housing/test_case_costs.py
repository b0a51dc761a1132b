"""The case's housing panel lists this year's cost items and shelter nights, and those who
may add them may remove a wrong one (kept in the history); nobody else may."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.core.services.access import grant_case_access
from housing import nights, services
from housing.models import CostCategory, CostItem, ShelterNight

pytestmark = pytest.mark.django_db

ROLES = ["coordinator", "guide", "caseworker", "caseworker2", "steering", "auditor", "admin"]
# Case A is the adult unit's (caseworker); the guide is granted it below; caseworker2
# (income support) may not know it exists; the other roles are no staff of cases.
MAY_REMOVE = {"coordinator": 302, "guide": 302, "caseworker": 302, "caseworker2": 404}


def _jan(day: int) -> date:
    return date(timezone.localdate().year, 1, day)


def _cost(case, coordinator, amount="250", note="Flyttstädning efter skadegörelse", on=None):
    category = CostCategory.objects.get_or_create(name="Sanering")[0]
    return services.add_cost_item(
        actor=coordinator,
        case_id=case.pk,
        category=category,
        on=on or _jan(1),
        amount=Decimal(amount),
        note=note,
    )


def _night(case, shelter, coordinator, org, on=None, person=None):
    [night] = nights.register_range(
        actor=coordinator,
        person=person or case.household.head,
        shelter=shelter,
        first=on or _jan(1),
        last=on or _jan(1),
        paying_unit=org.units["adult"],
    )
    return night


def _housing(response) -> dict:
    return next(p for p in response.context["panels"] if p["key"] == "housing")


@pytest.fixture
def costs(org, cases, shelter, coordinator, guide):
    grant_case_access(actor=coordinator, case_id=cases.a.pk, user=guide)
    return _cost(cases.a, coordinator), _night(cases.a, shelter, coordinator, org)


def test_the_panel_lists_the_years_costs_and_nights(login, coordinator, cases, costs):
    item, night = costs
    body = login(coordinator).get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert "Flyttstädning efter skadegörelse" in body and "Sanering" in body  # decrypted
    assert "250" in body and _jan(1).isoformat() in body
    assert "Härbärget Navet" in body
    assert reverse("housing:cost_remove", args=[cases.a.pk, item.pk]) in body
    assert reverse("housing:night_remove", args=[cases.a.pk, night.pk]) in body


def test_a_reader_who_may_not_write_sees_the_list_but_no_remove_button(
    client, login, org, coordinator, cases, costs
):
    from cases.core.services.access import grant_perm
    from tests.factories import UserFactory, member

    # Income support's second caseworker is given read access to case A only.
    reader = member(UserFactory(username="reader"), org.units["income_support"], "caseworker")
    grant_perm("cases.view_case", reader, cases.a, actor=coordinator, reason="test")
    item, night = costs
    page = login(reader).get(reverse("cases:detail", args=[cases.a.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Flyttstädning efter skadegörelse" in body and "Härbärget Navet" in body
    assert reverse("housing:cost_remove", args=[cases.a.pk, item.pk]) not in body
    assert reverse("housing:night_remove", args=[cases.a.pk, night.pk]) not in body
    assert (
        client.post(reverse("housing:cost_remove", args=[cases.a.pk, item.pk])).status_code == 403
    )
    assert (
        client.post(reverse("housing:night_remove", args=[cases.a.pk, night.pk])).status_code == 403
    )
    assert CostItem.objects.count() == 1 and ShelterNight.objects.count() == 1
    # Another case's costs are not listed on this one.
    body = login(coordinator).get(reverse("cases:detail", args=[cases.b.pk])).content.decode()
    assert "Flyttstädning" not in body


def test_a_protected_persons_nights_are_not_listed_to_those_not_granted(
    login, org, cases, shelter, coordinator, caseworker
):
    _night(cases.p, shelter, coordinator, org)
    url = reverse("cases:detail", args=[cases.p.pk])
    seen = login(coordinator).get(url)
    assert len(_housing(seen)["nights"]) == 1
    hidden = login(caseworker).get(url)
    assert hidden.status_code == 200 and _housing(hidden)["nights"] == []
    night = ShelterNight.objects.get()
    response = login(caseworker).post(reverse("housing:night_remove", args=[cases.p.pk, night.pk]))
    assert response.status_code == 404
    assert ShelterNight.objects.count() == 1


@pytest.mark.parametrize("role", [*ROLES, "outsider", "anon"])
def test_who_may_remove_a_cost_item(client, login, org, outsider, cases, costs, role):
    item, _night = costs
    if role == "outsider":
        login(outsider)
    elif role != "anon":
        login(org.users[role])
    response = client.post(reverse("housing:cost_remove", args=[cases.a.pk, item.pk]))
    expected = MAY_REMOVE.get(role, 302 if role == "anon" else 403)
    assert response.status_code == expected
    removed = not CostItem.objects.filter(pk=item.pk).exists()
    assert removed == (role in ("coordinator", "guide", "caseworker"))
    if removed:
        last = CostItem.history.filter(id=item.pk).latest("history_date")
        assert last.history_type == "-" and last.history_user == org.users[role]
        assert last.history_change_reason == "cost item removed (entered by mistake)"


@pytest.mark.parametrize("role", [*ROLES, "outsider", "anon"])
def test_who_may_remove_a_shelter_night(client, login, org, outsider, cases, costs, role):
    _item, night = costs
    if role == "outsider":
        login(outsider)
    elif role != "anon":
        login(org.users[role])
    response = client.post(reverse("housing:night_remove", args=[cases.a.pk, night.pk]))
    expected = MAY_REMOVE.get(role, 302 if role == "anon" else 403)
    assert response.status_code == expected
    removed = not ShelterNight.objects.filter(pk=night.pk).exists()
    assert removed == (role in ("coordinator", "guide", "caseworker"))
    if removed:
        last = ShelterNight.history.filter(id=night.pk).latest("history_date")
        assert last.history_type == "-" and last.history_user == org.users[role]


def test_an_item_of_another_case_is_not_found_through_this_one(
    login, org, cases, shelter, coordinator
):
    item = _cost(cases.b, coordinator)
    night = _night(cases.b, shelter, coordinator, org)
    login(coordinator)
    assert (
        login(coordinator)
        .post(reverse("housing:cost_remove", args=[cases.a.pk, item.pk]))
        .status_code
        == 404
    )
    assert (
        login(coordinator)
        .post(reverse("housing:night_remove", args=[cases.a.pk, night.pk]))
        .status_code
        == 404
    )
    assert CostItem.objects.count() == 1 and ShelterNight.objects.count() == 1


def test_removing_takes_a_post(login, coordinator, cases, costs):
    item, night = costs
    client = login(coordinator)
    assert client.get(reverse("housing:cost_remove", args=[cases.a.pk, item.pk])).status_code == 405
    assert (
        client.get(reverse("housing:night_remove", args=[cases.a.pk, night.pk])).status_code == 405
    )


def test_the_case_page_costs_the_same_queries_however_many_costs(
    login, org, cases, shelter, coordinator
):
    _cost(cases.a, coordinator)
    _night(cases.a, shelter, coordinator, org)
    client = login(coordinator)
    url = reverse("cases:detail", args=[cases.a.pk])
    client.get(url)  # the first request of a session sets it up
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for day in range(1, 5):
        _cost(cases.a, coordinator, on=_jan(1) + timedelta(days=day))
        _night(cases.a, shelter, coordinator, org, on=_jan(1) + timedelta(days=day))
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(_housing(response)["cost_items"]) == 5
    assert len(large) == len(small)
