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
