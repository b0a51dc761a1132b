"""The permission matrix: every URL of the cases app × every role × (own unit's case,
another unit's case, a protected-identity person), and no personal detail leaking."""

from __future__ import annotations

import pytest
from django.urls import reverse

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

# Who may open a case page: A adult unit (caseworker assigned), B income support
# (caseworker2 assigned), P adult unit with a protected main tenant, G housing team (guide).
READ = {
    "coordinator": {"a": 200, "b": 200, "p": 200, "g": 200},
    "guide": {"a": 404, "b": 404, "p": 404, "g": 200},
    "caseworker": {"a": 200, "b": 404, "p": 200, "g": 404},
    "caseworker2": {"a": 404, "b": 200, "p": 404, "g": 404},
    "steering": {"a": 403, "b": 403, "p": 403, "g": 403},
    "auditor": {"a": 403, "b": 403, "p": 403, "g": 403},
    "admin": {"a": 404, "b": 404, "p": 404, "g": 404},
    "outsider": {"a": 403, "b": 403, "p": 403, "g": 403},
}
# Giving access: coordinators, and leads of the responsible unit.
GRANT = {
    "coordinator": {"a": 200, "b": 200, "p": 200, "g": 200},
    "guide": {"a": 404, "b": 404, "p": 404, "g": 403},
    "caseworker": {"a": 200, "b": 404, "p": 200, "g": 404},
    "caseworker2": {"a": 404, "b": 200, "p": 404, "g": 404},
}


def _user(org, outsider, role):
    return outsider if role == "outsider" else org.users[role]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", ["cases:detail", "cases:edit", "cases:close", "cases:children"])
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_case_pages(client, org, outsider, cases, role, view, which):
    client.force_login(
        _user(org, outsider, role), backend="django.contrib.auth.backends.ModelBackend"
    )
    case = getattr(cases, which)
    response = client.get(reverse(view, args=[case.pk]))
    assert response.status_code == READ[role][which]
    if response.status_code != 200:
        body = response.content.decode()
        assert case.number not in body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_access_page(client, org, outsider, cases, role, which):
    client.force_login(
        _user(org, outsider, role), backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.get(reverse("cases:access", args=[getattr(cases, which).pk]))
    expected = GRANT.get(role, {}).get(which, READ[role][which])
    assert response.status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_case_list_shows_only_visible_cases(client, org, outsider, cases, role):
    client.force_login(
        _user(org, outsider, role), backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.get(reverse("cases:list"))
    if role in {"steering", "auditor", "outsider"}:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    body = response.content.decode()
    for which in "abpg":
        case = getattr(cases, which)
        assert (case.number in body) == (READ[role][which] == 200), which


@pytest.mark.parametrize("role", ["coordinator", "caseworker"])
def test_protected_person_detail_only_for_the_granted(client, org, cases, role):
    client.force_login(org.users[role], backend="django.contrib.auth.backends.ModelBackend")
    body = client.get(reverse("cases:detail", args=[cases.p.pk])).content.decode()
    secrets = ["Petra", "Skyddadsdotter", "19900303-5624", "Hemligvägen"]
    if role == "coordinator":  # created the case, so explicitly granted
        assert all(s in body for s in secrets)
    else:
        assert not any(s in body for s in secrets)
        assert "Skyddad identitet" in body


def test_protected_person_absent_from_list_and_search_for_others(client, org, cases):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    listing = client.get(reverse("cases:list")).content.decode()
    assert "Skyddadsdotter" not in listing
    assert cases.p.number in listing and "Skyddad identitet" in listing
    found = client.get(reverse("cases:list"), {"q": "199003035624"}).content.decode()
    assert cases.p.number not in found
    by_name = client.get(reverse("cases:list"), {"q": "Petra Skyddadsdotter"}).content.decode()
    assert cases.p.number not in by_name
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert (
        cases.p.number in client.get(reverse("cases:list"), {"q": "199003035624"}).content.decode()
    )


def test_protected_person_edit_is_hidden_from_the_unit(client, org, cases):
    person_id = cases.p.household.head_id
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("cases:person_edit", args=[cases.p.pk, person_id])).status_code == 404
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.get(reverse("cases:person_edit", args=[cases.p.pk, person_id])).status_code == 200


def test_person_of_another_case_is_not_reachable_through_this_case(client, org, cases):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    other_person = cases.b.household.head_id
    assert (
        client.get(reverse("cases:person_edit", args=[cases.a.pk, other_person])).status_code == 404
    )


@pytest.mark.parametrize("role", ROLES)
def test_create_page(client, org, outsider, role):
    client.force_login(
        _user(org, outsider, role), backend="django.contrib.auth.backends.ModelBackend"
    )
    expected = 200 if role in {"coordinator", "guide", "caseworker", "caseworker2"} else 403
    assert client.get(reverse("cases:create")).status_code == expected


def test_anonymous_is_sent_to_login(client, cases):
    for url in [reverse("cases:list"), reverse("cases:detail", args=[cases.a.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_wrong_method(client, org, cases):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.post(reverse("cases:detail", args=[cases.a.pk])).status_code == 405
    assert client.post(reverse("cases:list")).status_code == 405


def test_read_only_grant_reads_but_cannot_write(client, org, cases):
    from guardian.shortcuts import assign_perm

    assign_perm("cases.view_case", org.users["caseworker2"], cases.a)
    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.get(reverse("cases:detail", args=[cases.a.pk])).status_code == 200
    assert client.get(reverse("cases:edit", args=[cases.a.pk])).status_code == 403


def test_admin_sees_a_case_only_when_granted(client, org, cases):
    from cases import services

    client.force_login(org.users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("cases:detail", args=[cases.b.pk])).status_code == 404
    services.grant_case_access(
        actor=org.users["coordinator"], case_id=cases.b.pk, user=org.users["admin"]
    )
    assert client.get(reverse("cases:detail", args=[cases.b.pk])).status_code == 200


def test_admin_site_shows_no_personal_data(client, org, cases):
    client.force_login(org.users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    org.users["admin"].is_superuser = True
    org.users["admin"].save()
    for url in [
        "/admin/cases/person/",
        f"/admin/cases/person/{cases.a.household.head_id}/change/",
        "/admin/cases/case/",
    ]:
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        for secret in ["Astrid", "Adultsson", "19800101-2387", "Adultssongatan", "Skuld hos"]:
            assert secret not in body
