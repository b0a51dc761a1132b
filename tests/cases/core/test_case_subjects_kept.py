"""The access log's description of cases (who a read concerns: main tenant, unit,
district, protection) runs a statement compiled once (`KeptIdRows`, bokvar/compiled.py;
issue 22): the same rows as the ORM's queryset for any number of ids, read as the data
is now (a member protected since counts), and on PostgreSQL one compilation serves every
call."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from audit.registry import Subject
from bokvar import compiled
from cases.core.audit import subjects
from cases.models import Person, ProtectedIdentity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _nothing_kept():
    subjects._CASE_FACTS.statements.clear()
    yield
    subjects._CASE_FACTS.statements.clear()


def _orm(case_ids: set[int]) -> dict[int, Subject]:
    """The ORM's own reading of the same queryset, built anew."""
    return {
        pk: Subject(person_id=head, case_id=pk, unit_id=unit, district_id=district, protected=p)
        for pk, head, unit, district, p in subjects._case_facts(sorted(case_ids))
    }


def test_the_kept_statement_reads_what_the_orm_reads_for_any_number_of_ids(cases):
    all_ids = {cases.a.pk, cases.b.pk, cases.p.pk, cases.g.pk}
    with mock.patch.object(
        compiled.KeptIdRows, "_compile", autospec=True, side_effect=compiled.KeptIdRows._compile
    ) as compiling:
        for ids in ({cases.a.pk}, {cases.p.pk, cases.b.pk}, all_ids, {cases.a.pk, 10**9}):
            assert subjects.case_subjects(ids) == _orm(ids)
    described = subjects.case_subjects(all_ids)
    assert described[cases.p.pk].protected and not described[cases.a.pk].protected
    assert described[cases.a.pk].unit_id == cases.a.responsible_unit_id
    assert subjects.case_subjects(set()) == {}
    if connection.vendor == "postgresql":
        # Compiled once for one id (bound alone) and once for several (one array),
        # whatever their number (SQLite runs the ORM's way).
        assert compiling.call_count == 2
        assert sorted(subjects._CASE_FACTS.statements) == [
            ("default", (), False),
            ("default", (), True),
        ]


def test_a_kept_statement_reads_the_data_as_it_is_now(cases):
    assert subjects.case_subjects({cases.a.pk})[cases.a.pk].protected is False
    member = Person.objects.filter(household_id=cases.a.household_id).first()
    assert member is not None
    Person.objects.filter(pk=member.pk).update(
        protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
        protected_identity_noted_on=timezone.localdate(),
    )
    assert subjects.case_subjects({cases.a.pk})[cases.a.pk].protected is True
    assert subjects.case_subjects({cases.a.pk}) == _orm({cases.a.pk})


@pytest.mark.parametrize("write", [None, False, True])
def test_a_case_read_for_its_page_is_described_without_a_query(cases, org, write):
    """A page and a form of a case read the case's facts with it
    (`selectors.cases.facts_with_the_case`): describing the read takes no query of its
    own, and says what the facts query says, for a household with a protected member
    (granted to the reader) and one without."""
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from guardian.shortcuts import assign_perm

    from cases.core.selectors import cases as case_selectors

    coordinator = org.users["coordinator"]
    protected = Person.objects.get(household_id=cases.p.household_id)
    assign_perm("cases.view_protected_person", coordinator, protected)
    for case in (cases.a, cases.p):
        if write is None:
            request = RequestFactory().get("/")
            request.user = coordinator
            read = case_selectors.get_case_for_page(request, case.pk)
        else:
            read = case_selectors.get_case_for_user(coordinator, case.pk, write=write)
        with CaptureQueriesContext(connection) as queries:
            (described,) = subjects.describe_cases([read])
        assert len(queries) == 0
        assert described == _orm({case.pk})[case.pk]
        assert described.protected is (case is cases.p)


def test_a_case_read_without_its_facts_is_described_by_the_query(cases):
    from django.test.utils import CaptureQueriesContext

    from cases.models import Case

    plain = Case.objects.get(pk=cases.p.pk)
    with CaptureQueriesContext(connection) as queries:
        (described,) = subjects.describe_cases([plain])
    assert len(queries) == 1
    assert described == _orm({cases.p.pk})[cases.p.pk] and described.protected


def test_the_case_lists_rows_are_described_without_a_query(cases, org):
    """The case list's rows (`case_list_of`, the list and its searches) come with what the
    access log says of each: recording the page's reads takes no query to describe them."""
    from django.test.utils import CaptureQueriesContext

    from cases.core.selectors import cases as case_selectors
    from cases.models import Case

    ids = {cases.a.pk, cases.b.pk, cases.p.pk}
    listed = list(
        case_selectors.case_list_of(org.users["coordinator"], Case.objects.filter(pk__in=ids))
    )
    with CaptureQueriesContext(connection) as queries:
        described = subjects.describe_cases(listed)
    assert len(queries) == 0
    assert {s.case_id: s for s in described} == _orm(ids)
    assert [s.protected for s in described if s.case_id == cases.p.pk] == [True]
