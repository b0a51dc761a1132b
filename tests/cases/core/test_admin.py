"""The Django admin shows no personal data, and of cases and people only what the
application would let the signed-in user see; an administrator sees none."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
SECRETS = ["Astrid", "Adultsson", "19800101-2387", "Bertil", "Petra", "Skyddadsdotter"]


def _as_superuser(client, user, settings):
    settings.BREAK_GLASS_USERNAMES = [user.username]  # only a break-glass account may be one
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(user, backend=BACKEND)


def _case_numbers(client) -> set[str]:
    response = client.get("/admin/cases/case/")
    assert response.status_code == 200
    return set(re.findall(r"BK-\d{4}-\d{4}", response.content.decode()))


def _person_ids(client) -> set[int]:
    response = client.get("/admin/cases/person/")
    assert response.status_code == 200
    return {
        int(i) for i in re.findall(r"/admin/cases/person/(\d+)/change/", response.content.decode())
    }


def _household_ids(client) -> set[int]:
    body = client.get("/admin/cases/household/").content.decode()
    return {int(i) for i in re.findall(r"/admin/cases/household/(\d+)/change/", body)}


def test_administrator_superuser_sees_no_case_person_or_household(client, org, cases, settings):
    _as_superuser(client, org.users["admin"], settings)
    assert _case_numbers(client) == set()
    assert _person_ids(client) == set()
    assert _household_ids(client) == set()
    response = client.get(f"/admin/cases/person/{cases.a.household.head_id}/change/")
    assert response.status_code in (302, 404)
    response = client.get(f"/admin/cases/case/{cases.a.pk}/change/", follow=True)
    body = response.content.decode()
    assert cases.a.number not in body
    assert not any(s in body for s in SECRETS)


def test_caseworker_superuser_sees_only_their_cases_and_ungranted_protected_nobody(
    client, org, cases, settings
):
    _as_superuser(client, org.users["caseworker"], settings)
    assert _case_numbers(client) == {cases.a.number, cases.p.number}
    # Petra (protected, not granted to the caseworker) does not exist for them.
    assert _person_ids(client) == {cases.a.household.head_id}
    assert _household_ids(client) == {cases.a.household_id, cases.p.household_id}
    response = client.get(f"/admin/cases/person/{cases.p.household.head_id}/change/")
    assert response.status_code in (302, 404)


def test_coordinator_superuser_sees_the_district_but_no_personal_data(client, org, cases, settings):
    _as_superuser(client, org.users["coordinator"], settings)
    every = {cases.a, cases.b, cases.p, cases.g}
    assert _case_numbers(client) == {c.number for c in every}
    assert _person_ids(client) == {c.household.head_id for c in every}
    for url in [
        "/admin/cases/person/",
        f"/admin/cases/person/{cases.p.household.head_id}/change/",
        "/admin/cases/case/",
        f"/admin/cases/case/{cases.a.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert not any(s in body for s in SECRETS + ["19900303-5624", "Hemligvägen"])
