"""Every form and sub-page of a case reads it with `get_case_for_user`, by a statement
compiled once per reader and per "read or write" (cases.core.selectors.kept, issue 22):
the case is read as it is now, as the ORM reads it; a case out of sight is still not
found and one the reader may only read is still refused for writing, also through the
kept statement; a grant taken away shows on the next read; one reader's statement never
serves another."""

from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.urls import reverse

from bokvar.models import Unit, User
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import kept
from cases.core.services.access import grant_perm, revoke_perm
from cases.models import Case
from tests.case_fixtures import case_as_the_orm_reads_it, person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    case_selectors._CASE_FOR_USER.statements.clear()
    yield
    case_selectors._CASE_FOR_USER.statements.clear()


@pytest.mark.parametrize("write", [False, True])
def test_one_compilation_serves_every_case_as_the_orm_reads_it(org, make_case, write):
    caseworker = org.users["caseworker"]
    first = make_case(assignees=["caseworker"], people=[person("Hanna", "Åttadotter")])
    second = make_case(assignees=["caseworker"], people=[person("Ivar", "Niosson")])
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for case in (first, second, first):
            got = case_selectors.get_case_for_user(caseworker, case.pk, write=write)
            want = case_as_the_orm_reads_it(caseworker, case.pk)
            assert type(got) is Case and got.pk == case.pk
            for name, value in vars(want).items():
                if name != "_state":
                    assert getattr(got, name) == value, name
            assert got._state.db == want._state.db and got._state.adding is False
            assert got.household.head.full_name == want.household.head.full_name
            assert got._state.fields_cache.keys() == want._state.fields_cache.keys()
    assert compiled.call_count == 1


def test_read_and_write_are_two_statements(org, make_case):
    caseworker = org.users["caseworker"]
    case = make_case(assignees=["caseworker"], people=[person("Jon", "Tiosson")])
    case_selectors.get_case_for_user(caseworker, case.pk)
    case_selectors.get_case_for_user(caseworker, case.pk, write=True)
    assert {key[1] for key in case_selectors._CASE_FOR_USER.statements} == {False, True}


def _read_only_case(org, make_case, first: str, last: str):
    """A case of the adult unit that caseworker2 (income support) may only read: a
    direct grant of "view" alone."""
    case = make_case(assignees=["caseworker"], people=[person(first, last)])
    reader = org.users["caseworker2"]
    grant_perm("cases.view_case", reader, case, actor=org.users["coordinator"], reason="test")
    return case, reader


def test_out_of_sight_and_read_only_are_still_refused_when_kept(org, make_case):
    case, reader = _read_only_case(org, make_case, "Kim", "Elvasson")
    for _ in range(2):  # compiled, then through the kept statement
        with pytest.raises(Http404):
            case_selectors.get_case_for_user(org.users["steering"], case.pk)
        with pytest.raises(Http404):
            case_selectors.get_case_for_user(org.users["caseworker"], 10**12, write=True)
        assert case_selectors.get_case_for_user(reader, case.pk).pk == case.pk
        with pytest.raises(PermissionDenied):
            case_selectors.get_case_for_user(reader, case.pk, write=True)


def test_a_grant_taken_away_shows_on_the_next_read(org, make_case):
    case, reader = _read_only_case(org, make_case, "Lo", "Tolvdotter")
    assert case_selectors.get_case_for_user(reader, case.pk).pk == case.pk
    revoke_perm("cases.view_case", reader, case, actor=org.users["coordinator"], reason="test")
    with pytest.raises(Http404):
        case_selectors.get_case_for_user(reader, case.pk)
    # And given again: the same kept statement finds it.
    grant_perm("cases.view_case", reader, case, actor=org.users["coordinator"], reason="test")
    assert case_selectors.get_case_for_user(reader, case.pk).pk == case.pk
    assert len(case_selectors._CASE_FOR_USER.statements) == 1


def test_one_readers_statement_never_serves_another(org, make_case, client):
    case = make_case(assignees=["caseworker"], people=[person("Mia", "Trettondotter")])
    form = reverse("cases:contact_new", args=[case.pk])
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for name in ("caseworker", "coordinator", "caseworker", "steering"):
            client.force_login(org.users[name], backend="django.contrib.auth.backends.ModelBackend")
            response = client.get(form)
            assert response.status_code == (403 if name == "steering" else 200), name
    readers = {key[0][1] for key in case_selectors._CASE_FOR_USER.statements}
    assert readers == {org.users["caseworker"].pk, org.users["coordinator"].pk}
    assert compiled.call_count == 2


def test_one_case_is_admitted_exactly_as_the_list_admits_it(org, make_case):
    # `_one_case` (EXISTS per grant, for reading one case) and `visible_cases` /
    # `writable_cases` (IN the grants, for lists) must admit the same cases for every
    # reader: grants to the user, to a group, "view" alone, a district, none at all.
    granted = make_case(assignees=["caseworker"], people=[person("Nils", "Fjortonsson")])
    read_only, reader = _read_only_case(org, make_case, "Ola", "Femtonsson")
    by_group = make_case(people=[person("Pia", "Sextondotter")])
    income_support = org.units[Unit.Kind.INCOME_SUPPORT].group  # caseworker2's unit
    grant_perm("cases.view_case", income_support, by_group, actor=reader, reason="test")
    nobodys = make_case(people=[person("Rut", "Sjuttondotter")])
    inactive = User.objects.get(pk=org.users["caseworker"].pk)
    inactive.is_active = False
    cases = [granted, read_only, by_group, nobodys]
    readers = [*org.users.values(), inactive]
    seen = 0
    for user in readers:
        for case in cases:
            for codename, listed in (
                ("view_case", case_selectors.visible_cases),
                ("change_case", case_selectors.writable_cases),
            ):
                one = case_selectors._one_case(user, codename).filter(pk=case.pk).exists()
                assert one == listed(user).filter(pk=case.pk).exists(), (user, case, codename)
                seen += one
    assert seen > 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements")
@pytest.mark.parametrize("for_page", [False, True])
def test_the_case_is_read_on_one_generic_plan(org, make_case, rf, for_page):
    """PostgreSQL planned the case's statement afresh on every form and page of a case
    (0.47-0.87 ms of planning beside 0.15-0.45 ms of execution at national scale, issue
    22); it runs on its generic plan (bokvar.prepared.generic_plan), the session's mode
    reset after, and still reads each case as it is now."""
    from tests.prepared_plans import generic_runs_only

    case_selectors._CASE_FOR_PAGE.statements.clear()
    caseworker = org.users["caseworker"]
    cases = [make_case(assignees=["caseworker"]) for _ in range(3)]
    hidden = make_case(unit_kind=Unit.Kind.HOUSING_TEAM)
    for _ in range(3):
        for case in cases:
            if for_page:
                request = rf.get("/")
                request.user = caseworker
                assert case_selectors.get_case_for_page(request, case.pk).pk == case.pk
            else:
                assert case_selectors.get_case_for_user(caseworker, case.pk).pk == case.pk
        with pytest.raises(Http404):
            case_selectors.get_case_for_user(caseworker, hidden.pk)
    assert generic_runs_only('SELECT "cases_case"."id", "cases_case"."number"%LIMIT 1') >= 9


@pytest.mark.parametrize("codename", ["view_case", "change_case"])
def test_the_one_case_form_names_its_permission_the_lists_bind_it(org, make_case, codename):
    """The one-case form runs on generic plans (a case's forms and page), where a bound
    codename is estimated at one grant: it names the permission in the text (at city
    scale 1,337 -> 713 buffers a read, issue 22), by its id (`permissions.permission_id`).
    A list's statements are planned with
    their values and keep them bound. Both find the same cases for every reader."""
    cases = [make_case(assignees=["caseworker"]), make_case(unit_kind=Unit.Kind.HOUSING_TEAM)]
    for user in org.users.values():
        one = case_selectors._one_case(user, codename)
        listed = (
            case_selectors.visible_cases(user)
            if codename == "view_case"
            else case_selectors.writable_cases(user)
        )
        for case in cases:
            assert one.filter(pk=case.pk).exists() == listed.filter(pk=case.pk).exists()
        if not user.is_active:
            continue
        permission = Permission.objects.get(content_type__app_label="cases", codename=codename)
        sql, params = one.query.sql_with_params()
        # Named in the text, bound nowhere (the user's id may equal the permission's: the
        # ids of a test database's users grow from test to test, so `not in params`
        # failed by chance when they met).
        assert f'"permission_id" = {permission.pk}' in sql and '"permission_id" = %s' not in sql
        sql, params = listed.query.sql_with_params()
        assert f'"permission_id" = {permission.pk}' not in sql and permission.pk in params
        assert '"permission_id" = %s' in sql
