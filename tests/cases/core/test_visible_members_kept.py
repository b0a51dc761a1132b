"""A household's members a reader may see (`people.visible_members`, offered by the
nights form) are read by a statement kept per reader with the household's id bound
(issue 22): the ORM's members for every reader and household, as they are now, and one
reader's statement never answers for another."""

from __future__ import annotations

import pytest

from bokvar.models import User
from cases.core.selectors import people
from cases.core.services.access import grant_protected_person
from cases.models import Person, ProtectedIdentity
from tests.case_fixtures import person

pytestmark = pytest.mark.django_db

READERS = ("caseworker", "coordinator", "guide", "caseworker2")


@pytest.fixture(autouse=True)
def _nothing_kept():
    people._VISIBLE_MEMBERS.statements.clear()
    yield
    people._VISIBLE_MEMBERS.statements.clear()


def _orm(user: User, household_id: int) -> list[int]:
    qs = Person.objects.filter(household_id=household_id).filter(people.persons_visible_q(user))
    return list(qs.values_list("pk", flat=True))


def _user(org, name: str) -> User:
    return User.objects.get(pk=org.users[name].pk)


def _mixed(make_case):
    return make_case(
        people=[
            person("Vera", "Synlig"),
            person("Sara", "Skyddad", protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION),
            person("Hugo", "Synlig"),
        ],
    )


def test_every_reader_and_household_get_the_orms_members(org, cases, make_case):
    mixed = _mixed(make_case)
    households = [mixed.household_id, cases.a.household_id, cases.p.household_id]
    for _ in range(2):  # compiled, then through the kept statements
        for name in READERS:
            user = _user(org, name)
            for household_id in households:
                got = [p.pk for p in people.visible_members(user, household_id)]
                assert got == _orm(user, household_id), (name, household_id)
    shown = people.visible_members(_user(org, "caseworker"), mixed.household_id)
    assert sorted(p.full_name for p in shown) == ["Hugo Synlig", "Vera Synlig"]  # not vacuous


def test_a_grant_shows_at_once_and_only_to_its_reader(org, make_case):
    mixed = _mixed(make_case)
    sara = Person.objects.get(
        household_id=mixed.household_id, protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION
    )
    caseworker, guide = _user(org, "caseworker"), _user(org, "guide")
    assert sara.pk not in [p.pk for p in people.visible_members(caseworker, mixed.household_id)]
    grant_protected_person(
        actor=org.users["coordinator"], case_id=mixed.pk, person_id=sara.pk, user=caseworker
    )
    assert sara.pk in [p.pk for p in people.visible_members(caseworker, mixed.household_id)]
    assert sara.pk not in [p.pk for p in people.visible_members(guide, mixed.household_id)]
