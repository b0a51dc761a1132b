"""The case list's filters (status, unit, assignee) and pagination, as the coordinator."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bokvar.models import Unit
from cases.core.services.cases import close_case
from cases.core.views.cases import PAGE_SIZE

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _numbers(response) -> set[str]:
    assert response.status_code == 200
    return set(re.findall(r"BK-\d{4}-\d{4}", response.content.decode()))


@pytest.fixture
def listing(client, org):
    client.force_login(org.users["coordinator"], backend=BACKEND)
    return lambda **params: _numbers(client.get(reverse("cases:list"), params))


def test_filter_by_status(org, cases, listing):
    close_case(
        actor=org.users["coordinator"],
        case_id=cases.b.pk,
        expected_version=cases.b.version,
        outcome="lease_kept",
        closed_on=cases.b.opened_on,
    )
    assert listing(status="closed") == {cases.b.number}
    assert listing(status="open") == {cases.a.number, cases.p.number, cases.g.number}
    assert listing() == {c.number for c in (cases.a, cases.b, cases.p, cases.g)}


def test_filter_by_unit(org, cases, listing):
    assert listing(unit=org.units[Unit.Kind.ADULT].pk) == {cases.a.number, cases.p.number}
    assert listing(unit=org.units[Unit.Kind.INCOME_SUPPORT].pk) == {cases.b.number}
    assert listing(unit=org.units[Unit.Kind.HOUSING_TEAM].pk) == {cases.g.number}


def test_filter_by_assignee(org, cases, listing):
    assert listing(assignee=org.users["caseworker"].pk) == {cases.a.number}
    assert listing(assignee=org.users["guide"].pk) == {cases.g.number}


def test_filters_combine(org, cases, listing):
    adult = org.units[Unit.Kind.ADULT].pk
    assert listing(unit=adult, assignee=org.users["caseworker"].pk) == {cases.a.number}
    assert listing(unit=adult, status="closed") == set()


def test_second_page(org, make_case, listing, client):
    made = [make_case().number for _ in range(PAGE_SIZE + 3)]
    first, second = listing(), listing(page=2)
    assert len(first) == PAGE_SIZE and len(second) == 3
    assert first | second == set(made) and not first & second
    # A filter is kept when paging.
    body = client.get(reverse("cases:list"), {"status": "open"}).content.decode()
    assert "status=open" in body and "page=2" in body
    assert listing(status="open", page=2) == second


def test_a_coordinator_sees_and_counts_each_case_once_with_grants_in_and_out_of_the_district(
    org, make_case, listing, client
):
    """The pager counts a coordinator's cases part by part (their district's, then those
    granted to them outside it): a granted case of their own district is counted once,
    a granted case of another district is counted and listed, an ungranted one is not."""
    from guardian.shortcuts import assign_perm

    from bokvar import services as org_services
    from bokvar.models import District, Role
    from tests.case_fixtures import create_case, person
    from tests.factories import UserFactory, make_unit

    coordinator = org.users["coordinator"]
    own = [make_case() for _ in range(PAGE_SIZE + 2)]
    for case in own[:4]:
        assign_perm("cases.view_case", coordinator, case)
    group = coordinator.groups.first()
    assert group is not None
    assign_perm("cases.view_case", group, own[4])
    south = make_unit(district=District.objects.create(name="Söder", code="soder"), name="Söder")
    south_coordinator = UserFactory(username="coordinator-soder")
    org_services.add_membership(user=south_coordinator, unit=south, role=Role.COORDINATOR)

    def elsewhere():
        return create_case(
            actor=south_coordinator,
            kind="eviction_prevention",
            responsible_unit=south,
            assignees=[],
            people=[person("Test", "Testsson")],
            children_birth_years=[],
        )

    granted, ungranted, via_group = elsewhere(), elsewhere(), elsewhere()
    assign_perm("cases.view_case", coordinator, granted)
    assign_perm("cases.view_case", group, via_group)
    assign_perm("cases.view_case", group, granted)  # granted twice: still once

    expected = {c.number for c in [*own, granted, via_group]}
    first, second = listing(), listing(page=2)
    assert first | second == expected and not first & second
    assert ungranted.number not in first | second
    caption = client.get(reverse("cases:list")).content.decode()
    assert re.search(r'id="cases-case-list-table">(\d+) ', caption).group(1) == str(len(expected))
    assert listing(status="open", page=2) == second
