"""Letting a colleague see a protected person, from the case's access page: only someone
who may change the case and is granted the person, only to a colleague with access."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.core.selectors.people import may_see_person
from cases.core.services.access import PROTECTED_PERM, grant_case_access, grant_protected_person

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
SECRETS = ["Petra", "Skyddadsdotter", "19900303-5624", "Hemligvägen"]


def _url(case):
    return reverse("cases:protected_access", args=[case.pk])


def _person(cases):
    return cases.p.household.head


def _sees(user, person) -> bool:
    return may_see_person(user, person)


def test_granted_writer_lets_a_colleague_with_access_see_the_person(client, org, cases):
    coordinator, caseworker = org.users["coordinator"], org.users["caseworker"]
    person = _person(cases)
    assert not _sees(caseworker, person)
    client.force_login(coordinator, backend=BACKEND)
    access_page = client.get(reverse("cases:access", args=[cases.p.pk])).content.decode()
    assert _url(cases.p) in access_page
    page = client.get(_url(cases.p))
    assert page.status_code == 200 and "Skyddadsdotter" in page.content.decode()
    response = client.post(_url(cases.p), {"person": person.pk, "user": caseworker.pk})
    assert response.status_code == 302
    assert _sees(caseworker, person)
    client.force_login(caseworker, backend=BACKEND)
    body = client.get(reverse("cases:detail", args=[cases.p.pk])).content.decode()
    assert all(s in body for s in SECRETS)


def test_a_granted_caseworker_may_pass_the_person_on(client, org, cases):
    coordinator, caseworker, colleague = (
        org.users["coordinator"],
        org.users["caseworker"],
        org.users["caseworker2"],
    )
    person = _person(cases)
    grant_protected_person(
        actor=coordinator, case_id=cases.p.pk, person_id=person.pk, user=caseworker
    )
    grant_case_access(actor=coordinator, case_id=cases.p.pk, user=colleague)
    client.force_login(caseworker, backend=BACKEND)
    response = client.post(_url(cases.p), {"person": person.pk, "user": colleague.pk})
    assert response.status_code == 302
    assert _sees(colleague, person)


@pytest.mark.parametrize(
    "role,expected",
    [
        ("caseworker", 403),  # may change the case but is not granted the person
        ("caseworker2", 404),  # no access to the case at all
        ("guide", 404),
        ("admin", 404),
        ("steering", 403),
        ("auditor", 403),
    ],
)
def test_others_are_refused_and_nothing_is_granted(client, org, cases, role, expected):
    person = _person(cases)
    target = org.users["caseworker"] if role != "caseworker" else org.users["coordinator"]
    client.force_login(org.users[role], backend=BACKEND)
    assert client.get(_url(cases.p)).status_code == expected
    response = client.post(_url(cases.p), {"person": person.pk, "user": target.pk})
    assert response.status_code == expected
    body = response.content.decode()
    assert not any(s in body for s in SECRETS)
    if role != "caseworker":
        assert not _sees(org.users["caseworker"], person)


def test_a_read_only_grant_is_not_enough(client, org, cases):
    """Seeing the case and the person is not enough: one must also may change the case."""
    from guardian.shortcuts import assign_perm

    colleague = org.users["caseworker2"]
    assign_perm("cases.view_case", colleague, cases.p)
    assign_perm(PROTECTED_PERM, colleague, _person(cases))
    client.force_login(colleague, backend=BACKEND)
    assert client.get(_url(cases.p)).status_code == 403
    response = client.post(
        _url(cases.p), {"person": _person(cases).pk, "user": org.users["caseworker"].pk}
    )
    assert response.status_code == 403
    assert not _sees(org.users["caseworker"], _person(cases))


def test_a_case_without_protected_people_has_nothing_to_grant(client, org, cases):
    client.force_login(org.users["coordinator"], backend=BACKEND)
    assert client.get(_url(cases.a)).status_code == 403
    access_page = client.get(reverse("cases:access", args=[cases.a.pk])).content.decode()
    assert _url(cases.a) not in access_page


def test_colleague_without_access_to_the_case_gets_a_message_naming_the_field(client, org, cases):
    colleague = org.users["caseworker2"]
    client.force_login(org.users["coordinator"], backend=BACKEND)
    response = client.post(_url(cases.p), {"person": _person(cases).pk, "user": colleague.pk})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Kollega" in body and "ingen åtkomst till ärendet" in body
    assert not _sees(colleague, _person(cases))


@pytest.mark.parametrize(
    "data,field,message",
    [
        ({"person": "", "user": ""}, "Kollega", "Välj den kollega som ska få se"),
        ({"user": "CASEWORKER"}, "Person med skyddad identitet", "Välj personen"),
        ({"person": "PERSON", "user": "999999"}, "Kollega", "Välj en kollega i listan"),
        ({"person": "OTHER", "user": "CASEWORKER"}, "Person med skyddad identitet", "i listan"),
    ],
)
def test_bad_input_names_the_field_in_swedish(client, org, cases, data, field, message):
    ids = {
        "CASEWORKER": org.users["caseworker"].pk,
        "PERSON": _person(cases).pk,
        "OTHER": cases.a.household.head_id,  # not in this household
    }
    data = {k: ids.get(v, v) for k, v in data.items()}
    client.force_login(org.users["coordinator"], backend=BACKEND)
    response = client.post(_url(cases.p), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert field in body and message in body
    assert not _sees(org.users["caseworker"], _person(cases))


def test_the_readers_sight_is_read_as_it_is_now_through_its_kept_statement(org, cases):
    """`Sight` reads who is hidden from a reader by a statement kept per reader (issue
    22): the ORM's rows for every reader and for no reader at all, and a grant made
    since shows at once through the kept statement."""
    from cases.core.selectors import people

    people._SIGHT.statements.clear()
    person = _person(cases)
    readers = [org.users[name] for name in ("coordinator", "caseworker", "guide", "steering")]

    def the_orms(user):
        rows = people.hidden_people(user).values_list("household_id", "personal_number_bidx")
        return {household for household, _n in rows}, {n for _h, n in rows if n}

    for _ in range(2):
        for user in [*readers, None]:
            sight = people.Sight(user)
            assert (sight.households, sight.numbers) == the_orms(user)
    assert len(people._SIGHT.statements) == len(readers)  # none kept for no reader
    caseworker = org.users["caseworker"]
    assert people.Sight(caseworker).hides_household(person.household_id)
    from guardian.shortcuts import assign_perm

    assign_perm(PROTECTED_PERM, caseworker, person)  # the grant's own row
    assert not people.Sight(caseworker).hides_household(person.household_id)
