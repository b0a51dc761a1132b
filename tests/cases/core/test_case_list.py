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
