"""The case page reads its case by a statement compiled once per reader (the permission
filters' text: cases.core.selectors.kept, issue 22): the row is the case asked for as it
is now, instances come out as the ORM makes them, a case out of the reader's sight is
still not found, one reader's statement never serves another, a new membership gives a
new one, and a statement whose building read the database is not kept."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest
from django.http import Http404
from django.urls import reverse

from bokvar import services as org_services
from bokvar.models import Role, Unit, User
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import kept
from cases.models import Case
from tests.case_fixtures import case_as_the_orm_reads_it, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    case_selectors._CASE_FOR_PAGE.statements.clear()
    yield
    case_selectors._CASE_FOR_PAGE.statements.clear()


def _request(user):
    return SimpleNamespace(user=user)


def test_one_compilation_serves_every_case_as_the_orm_reads_it(org, make_case):
    caseworker = org.users["caseworker"]
    first = make_case(assignees=["caseworker"], people=[person("Anna", "Förstadotter")])
    second = make_case(assignees=["caseworker"], people=[person("Bo", "Andrasson")])
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for case in (first, second, first):
            got = case_selectors.get_case_for_page(_request(caseworker), case.pk)
            want = case_as_the_orm_reads_it(caseworker, case.pk)
            assert type(got) is Case and got.pk == case.pk
            assert got.__dict__.keys() >= {"writable", "household_hidden"}
            assert got.writable is True and got.household_hidden is False
            for name, value in vars(want).items():
                if name != "_state":
                    assert getattr(got, name) == value, name
            assert got._state.db == want._state.db and got._state.adding is False
            # The related rows as select_related makes them, decrypted names included.
            assert got.household.head.full_name == want.household.head.full_name
            assert got.responsible_unit == want.responsible_unit
            assert got._state.fields_cache.keys() == want._state.fields_cache.keys()
    assert compiled.call_count == 1


def test_a_change_shows_on_the_next_read(org, make_case):
    caseworker = org.users["caseworker"]
    case = make_case(assignees=["caseworker"], people=[person("Cilla", "Tredjedotter")])
    read = case_selectors.get_case_for_page(_request(caseworker), case.pk)
    assert read.kind == Case.Kind.EVICTION_PREVENTION
    Case.objects.filter(pk=case.pk).update(kind=Case.Kind.HOMELESSNESS)
    read = case_selectors.get_case_for_page(_request(caseworker), case.pk)
    assert read.kind == Case.Kind.HOMELESSNESS


def test_a_case_out_of_sight_is_not_found(org, make_case):
    case = make_case(assignees=["caseworker"], people=[person("Dan", "Fjärdesson")])
    outsider = org.users["steering"]
    with pytest.raises(Http404):
        case_selectors.get_case_for_page(_request(outsider), case.pk)
    with pytest.raises(Http404):  # and again, through the kept statement
        case_selectors.get_case_for_page(_request(outsider), case.pk)
    with pytest.raises(Http404):
        case_selectors.get_case_for_page(_request(org.users["caseworker"]), 10**12)


def test_one_readers_statement_never_serves_another(org, make_case, client):
    case = make_case(assignees=["caseworker"], people=[person("Eva", "Femtedotter")])
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for name in ("caseworker", "coordinator", "caseworker"):
            client.force_login(org.users[name], backend="django.contrib.auth.backends.ModelBackend")
            response = client.get(reverse("cases:detail", args=[case.pk]))
            assert response.status_code == 200
    assert compiled.call_count == 2
    assert {key[1] for key in case_selectors._CASE_FOR_PAGE.statements} == {
        org.users["caseworker"].pk,
        org.users["coordinator"].pk,
    }


def test_a_new_membership_gives_a_new_statement(org, make_case):
    caseworker = org.users["caseworker"]
    case = make_case(assignees=["caseworker"], people=[person("Fia", "Sjättedotter")])
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        case_selectors.get_case_for_page(_request(caseworker), case.pk)
        org_services.add_membership(
            user=caseworker, unit=org.units[Unit.Kind.INCOME_SUPPORT], role=Role.CASEWORKER
        )
        again = User.objects.get(pk=caseworker.pk)  # a new request loads the roles anew
        case_selectors.get_case_for_page(_request(again), case.pk)
    assert compiled.call_count == 2


def test_a_statement_whose_building_read_the_database_is_not_kept(org, make_case):
    case = make_case(assignees=["caseworker"], people=[person("Gun", "Sjundedotter")])
    store = kept.KeptFirst()

    def reading(pk):
        # Reads the case's assignments while it is built: their answer would be frozen.
        users = list(case.assignments.values_list("user_id", flat=True))
        return Case.objects.filter(pk=pk, assignments__user_id__in=users)

    assert store.first("key", reading, case.pk).pk == case.pk
    assert store.statements == {}
    assert store.first("key", lambda pk: Case.objects.filter(pk=pk), case.pk).pk == case.pk
    assert list(store.statements) == ["key"]
