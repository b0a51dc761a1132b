"""Who is hidden from a reader among some people (`subjects.hidden_people`: protected
now or ever and not granted, or a housemate of such a person) runs a statement compiled
once per reader (`KeptBound`, issue 22: the access log names a page of people with it
on every page): the people the ORM's reading finds for every reader and any ids, as the
data is now, and one reader's statement never answers for another."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from bokvar import compiled
from bokvar.models import User
from cases.core.audit import subjects
from cases.core.selectors.people import granted_person_ids
from cases.core.services.access import grant_protected_person
from cases.models import Person, ProtectedIdentity
from tests.case_fixtures import person

pytestmark = pytest.mark.django_db

READERS = ("auditor", "caseworker", "coordinator", "guide")


@pytest.fixture(autouse=True)
def _nothing_kept():
    subjects._HIDDEN.statements.clear()
    yield
    subjects._HIDDEN.statements.clear()


def _orm(user: User, ids: set[int]) -> set[int]:
    """The ORM's own reading, as `hidden_people` read before it was kept."""
    ever_protected = (
        Person.history.filter(id__in=ids)
        .exclude(protected_identity=ProtectedIdentity.NONE)
        .exclude(id__in=granted_person_ids(user))
    )
    housemates = Person.history.filter(
        id__in=ids, household_id__in=subjects.protected_households(user)
    )
    return set(ever_protected.values_list("id", flat=True)) | set(
        housemates.values_list("id", flat=True)
    )


def _user(org, name: str) -> User:
    return User.objects.get(pk=org.users[name].pk)  # roles loaded afresh, as a request


def _shared_household(make_case):
    case = make_case(
        people=[
            person("Sara", "Skyddad", protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION),
            person("Hans", "Husfrände"),
        ]
    )
    protected = Person.objects.filter(household_id=case.household_id)
    return (
        protected.exclude(protected_identity=ProtectedIdentity.NONE).get(),
        protected.filter(protected_identity=ProtectedIdentity.NONE).get(),
    )


def test_every_reader_and_any_ids_get_the_orms_answer(org, cases, make_case):
    sara, hans = _shared_household(make_case)
    everyone = set(Person.objects.values_list("pk", flat=True))
    some = [
        {hans.pk},
        {sara.pk, hans.pk},
        everyone,
        {p.pk for p in Person.objects.filter(household_id=cases.a.household_id)} | {10**9},
    ]
    with mock.patch.object(
        compiled.KeptBound, "_compile", autospec=True, side_effect=compiled.KeptBound._compile
    ) as compiling:
        for _ in range(2):  # compiled, then through the kept statements
            for name in READERS:
                user = _user(org, name)
                for ids in some:
                    assert subjects.hidden_people(user, ids) == _orm(user, ids), (name, ids)
    # Not vacuous: the protected person and her housemate are hidden from a caseworker.
    assert {sara.pk, hans.pk} <= subjects.hidden_people(_user(org, "caseworker"), everyone)
    assert subjects.hidden_people(_user(org, "caseworker"), set()) == set()
    if connection.vendor == "postgresql":
        assert compiling.call_count == len(READERS)  # once per reader, whatever the ids


def test_a_grant_or_a_protection_shows_at_once(org, make_case):
    sara, hans = _shared_household(make_case)
    caseworker = _user(org, "caseworker")
    ids = {sara.pk, hans.pk}
    assert subjects.hidden_people(caseworker, ids) == ids
    case_id = sara.household.cases.get().pk
    grant_protected_person(
        actor=org.users["coordinator"], case_id=case_id, person_id=sara.pk, user=caseworker
    )
    assert subjects.hidden_people(caseworker, ids) == _orm(caseworker, ids) == set()
    # Protected since: hidden from a reader not granted, at once.
    other = make_case(people=[person("Ola", "Oskyddad")])
    ola = Person.objects.get(household_id=other.household_id)
    guide = _user(org, "guide")
    assert subjects.hidden_people(guide, {ola.pk}) == set()
    Person.objects.filter(pk=ola.pk).update(
        protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
        protected_identity_noted_on=timezone.localdate(),
    )
    assert subjects.hidden_people(guide, {ola.pk}) == _orm(guide, {ola.pk}) == {ola.pk}


def test_one_readers_statement_never_answers_for_another(org, make_case):
    sara, hans = _shared_household(make_case)
    caseworker = _user(org, "caseworker")
    case_id = sara.household.cases.get().pk
    grant_protected_person(
        actor=org.users["coordinator"], case_id=case_id, person_id=sara.pk, user=caseworker
    )
    caseworker = _user(org, "caseworker")
    guide = _user(org, "guide")
    ids = {sara.pk, hans.pk}
    assert subjects.hidden_people(caseworker, ids) == set()
    assert subjects.hidden_people(guide, ids) == ids
    assert subjects.hidden_people(caseworker, ids) == set()
