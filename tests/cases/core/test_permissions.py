"""The permission matrix: every URL of the cases app × every role × (own unit's case,
another unit's case, a protected-identity person), and no personal detail leaking."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.case_fixtures import search_cases

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
    # Meeting-place staff: their place's anonymous tallies, never a person or a case.
    "skotare",
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
    "skotare": {"a": 403, "b": 403, "p": 403, "g": 403},
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
    # The same response must name no one the role does not see in full (this was a second
    # request per case in test_no_personal_detail_where_not_seen_in_full).
    if not _sees_in_full(role, which):
        _assert_no_leak(response, which)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_access_page(client, org, outsider, cases, role, which):
    client.force_login(
        _user(org, outsider, role), backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.get(reverse("cases:access", args=[getattr(cases, which).pk]))
    expected = GRANT.get(role, {}).get(which, READ[role][which])
    assert response.status_code == expected
    if not _sees_in_full(role, which):
        _assert_no_leak(response, which)


@pytest.mark.parametrize("role", ROLES)
def test_case_list_shows_only_visible_cases(client, org, outsider, cases, role):
    client.force_login(
        _user(org, outsider, role), backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.get(reverse("cases:list"))
    if role in {"steering", "auditor", "outsider", "skotare"}:
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
    found = search_cases(client, "199003035624").content.decode()
    assert cases.p.number not in found
    by_name = search_cases(client, "Petra Skyddadsdotter").content.decode()
    assert cases.p.number not in by_name
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert cases.p.number in search_cases(client, "199003035624").content.decode()


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
    assert client.put(reverse("cases:list")).status_code == 405


def test_read_only_grant_reads_but_cannot_write(client, org, cases):
    from guardian.shortcuts import assign_perm

    assign_perm("cases.view_case", org.users["caseworker2"], cases.a)
    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.get(reverse("cases:detail", args=[cases.a.pk])).status_code == 200
    assert client.get(reverse("cases:edit", args=[cases.a.pk])).status_code == 403


def test_admin_sees_a_case_only_when_granted(client, org, cases):
    from cases.core.services.access import grant_case_access

    client.force_login(org.users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("cases:detail", args=[cases.b.pk])).status_code == 404
    grant_case_access(actor=org.users["coordinator"], case_id=cases.b.pk, user=org.users["admin"])
    assert client.get(reverse("cases:detail", args=[cases.b.pk])).status_code == 200


def test_admin_site_shows_no_personal_data(client, org, cases, settings):
    client.force_login(org.users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    settings.BREAK_GLASS_USERNAMES = [org.users["admin"].username]
    org.users["admin"].is_superuser = True
    org.users["admin"].save()
    for url in [
        "/admin/cases/person/",
        f"/admin/cases/person/{cases.a.household.head_id}/change/",
        "/admin/cases/case/",
    ]:
        # The administrator sees no case or person there at all (tests/cases/test_admin.py).
        response = client.get(url, follow=True)
        assert response.status_code == 200
        body = response.content.decode()
        for secret in ["Astrid", "Adultsson", "19800101-2387", "Adultssongatan", "Skuld hos"]:
            assert secret not in body


# --- Writes per role: allowed roles change data, everyone else changes nothing -------

BACKEND = "django.contrib.auth.backends.ModelBackend"
# The roles that may write each case (in the fixtures every reader is also a writer).
WRITE = {
    role: {which: (302 if status == 200 else status) for which, status in by_case.items()}
    for role, by_case in READ.items()
}
# Identifying details of each case's main tenant, in the written forms a page might use.
SECRETS = {
    "a": ["Astrid", "Adultsson", "19800101-2387", "198001012387", "800101-2387"],
    "b": ["Bertil", "Bidragsson", "19750505-4176", "197505054176", "750505-4176"],
    "p": ["Petra", "Skyddadsdotter", "19900303-5624", "199003035624", "900303-5624"],
    "g": ["Gustav", "Guidesson", "19851212-8730", "198512128730", "851212-8730"],
}


def _sees_in_full(role: str, which: str) -> bool:
    """Whether the role may see the case's main tenant by name."""
    if READ[role][which] != 200:
        return False
    return which != "p" or role == "coordinator"  # only the coordinator is granted Petra


def _assert_no_leak(response, which: str, echoed: str = "") -> None:
    body = response.content.decode()
    if echoed:  # the user's own search text, shown back in the search box and links
        from urllib.parse import quote, quote_plus

        for form in {echoed, quote(echoed), quote_plus(echoed)}:
            body = body.replace(form, "")
    leaked = [s for s in SECRETS[which] if s in body]
    assert not leaked, leaked


def _login(client, org, outsider, role):
    client.force_login(_user(org, outsider, role), backend=BACKEND)


def _fresh(case):
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_edit_post(client, org, outsider, cases, role, which):
    _login(client, org, outsider, role)
    case = getattr(cases, which)
    before = (case.kind, case.version, {u.pk for u in selectors_assignees(case)})
    response = client.post(
        reverse("cases:edit", args=[case.pk]),
        {"kind": "homelessness", "assignees": [], "version": case.version},
    )
    assert response.status_code == WRITE[role][which]
    case = _fresh(case)
    if response.status_code == 302:
        assert case.kind == "homelessness" and case.version == before[1] + 1
    else:
        assert (case.kind, case.version, {u.pk for u in selectors_assignees(case)}) == before
        _assert_no_leak(response, which)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_close_post(client, org, outsider, cases, role, which):
    _login(client, org, outsider, role)
    case = getattr(cases, which)
    response = client.post(
        reverse("cases:close", args=[case.pk]),
        {"outcome": "lease_kept", "closed_on": case.opened_on.isoformat(), "version": 1},
    )
    assert response.status_code == WRITE[role][which]
    case = _fresh(case)
    if response.status_code == 302:
        assert case.status == "closed" and case.outcome == "lease_kept"
    else:
        assert case.status == "open" and case.outcome == "" and case.version == 1
        _assert_no_leak(response, which)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_access_post(client, org, outsider, cases, role, which):
    from cases.core.selectors.cases import may_see_case

    _login(client, org, outsider, role)
    case = getattr(cases, which)
    target = org.users["caseworker2"] if which != "b" else org.users["caseworker"]
    assert not may_see_case(target, case)
    response = client.post(reverse("cases:access", args=[case.pk]), {"user": target.pk})
    expected = GRANT.get(role, {}).get(which, READ[role][which])
    assert response.status_code == (302 if expected == 200 else expected)
    assert may_see_case(target, case) == (response.status_code == 302)
    if response.status_code != 302:
        _assert_no_leak(response, which)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_person_edit_get(client, org, outsider, cases, role, which):
    _login(client, org, outsider, role)
    case = getattr(cases, which)
    response = client.get(reverse("cases:person_edit", args=[case.pk, case.household.head_id]))
    if _sees_in_full(role, which):
        assert response.status_code == 200
    else:
        assert response.status_code == (404 if READ[role][which] == 200 else READ[role][which])
        _assert_no_leak(response, which)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
def test_person_edit_post(client, org, outsider, cases, role, which):
    from cases.models import Person

    _login(client, org, outsider, role)
    case = getattr(cases, which)
    person = Person.objects.get(pk=case.household.head_id)
    response = client.post(
        reverse("cases:person_edit", args=[case.pk, person.pk]),
        {
            "given_name": "Ändrad",
            "family_name": person.family_name,
            "personal_number": person.personal_number,
            "protected_identity": person.protected_identity,
            "protected_identity_noted_on": (
                person.protected_identity_noted_on.isoformat()
                if person.protected_identity_noted_on
                else ""
            ),
            "version": person.version,
        },
    )
    person.refresh_from_db()
    if _sees_in_full(role, which):
        assert response.status_code == 302
        assert person.given_name == "Ändrad" and person.version == 2
    else:
        assert response.status_code == (404 if READ[role][which] == 200 else READ[role][which])
        assert person.given_name == SECRETS[which][0] and person.version == 1
        _assert_no_leak(response, which)


CREATE_UNIT = {
    "coordinator": "housing_team",
    "guide": "housing_team",
    "caseworker": "adult",
    "caseworker2": "income_support",
}


@pytest.mark.parametrize("role", ROLES)
def test_create_post(client, org, outsider, role):
    from bokvar.models import Unit
    from cases.models import Case, Person

    from .test_case_flow import create_payload

    user = _user(org, outsider, role)
    _login(client, org, outsider, role)
    unit = org.units[Unit.Kind(CREATE_UNIT.get(role, "adult"))]
    response = client.post(
        reverse("cases:create"),
        create_payload(org, responsible_unit=unit.pk, assignees=[user.pk]),
    )
    if role in CREATE_UNIT:
        assert response.status_code == 302
        assert Case.objects.filter(responsible_unit=unit).count() == 1
    else:
        assert response.status_code == 403
        assert Case.objects.count() == 0 and Person.objects.count() == 0
        assert "Åkesson" not in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("which", ["a", "b", "p", "g"])
# cases:detail, edit, close, children and access are checked on the response
# test_case_pages and test_access_page already fetch: no page is requested twice.
@pytest.mark.parametrize("view", ["cases:protected_access"])
def test_no_personal_detail_where_not_seen_in_full(client, org, outsider, cases, role, which, view):
    _login(client, org, outsider, role)
    response = client.get(reverse(view, args=[getattr(cases, which).pk]))
    if not _sees_in_full(role, which):
        _assert_no_leak(response, which)


@pytest.mark.parametrize("role", ROLES)
def test_case_list_shows_no_protected_person_to_the_ungranted(client, org, outsider, cases, role):
    _login(client, org, outsider, role)
    for params in [{}, {"q": "19900303-5624"}, {"q": "Petra Skyddadsdotter"}]:
        response = search_cases(client, **params)
        echoed = params.get("q", "")
        if role != "coordinator":
            _assert_no_leak(response, "p", echoed)
        for which in "abg":
            if not _sees_in_full(role, which):
                _assert_no_leak(response, which, echoed)


def selectors_assignees(case):
    from cases.core.selectors.cases import assignees_of

    return assignees_of(case)
