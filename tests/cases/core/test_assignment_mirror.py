"""An assignment carries its case's status, kept by the database's triggers (cases
migrations 0027 and 0029), and the deadlines badge reads one's open cases through it
(issue 22): whatever writes an assignment or changes a case, the copy is the case's own,
on both engines, and the badge no longer reads every case one was ever assigned."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from bokvar import bulk
from bokvar.models import Unit
from cases.core.services.cases import close_case
from cases.evictions import selectors
from cases.models import Case, CaseAssignment, Deadline

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _copy(case: Case) -> set[bool]:
    return set(CaseAssignment.objects.filter(case=case).values_list("case_open", flat=True))


def test_a_new_assignment_carries_its_case(org, make_case):
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "guide"])
    assert _copy(case) == {True}


def test_closing_a_case_closes_its_assignments(org, make_case):
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    other = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    close_case(
        actor=org.users["coordinator"],
        case_id=case.pk,
        expected_version=case.version,
        outcome="other",
        closed_on=TODAY,
    )
    assert _copy(case) == {False}
    assert _copy(other) == {True}


def test_a_case_moved_or_reopened_by_any_write_moves_its_assignments(org, make_case):
    """Not only the services: an update that bypasses the models (a bulk update, a
    migration, a database console) is followed too."""
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    housing = org.units[Unit.Kind.HOUSING_TEAM]
    Case.objects.filter(pk=case.pk).update(responsible_unit=housing)
    assert _copy(case) == {True}
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=TODAY, outcome="other")
    assert _copy(case) == {False}
    Case.objects.filter(pk=case.pk).update(status="open", closed_on=None, outcome="")
    assert _copy(case) == {True}


def test_what_a_writer_gives_is_replaced_by_the_case(org, make_case):
    """An assignment written with another status (by mistake, or by a bulk insert that
    leaves the defaults) still carries its case's."""
    case = make_case(unit_kind=Unit.Kind.ADULT)
    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=TODAY, outcome="other")
    bulk.insert(
        CaseAssignment,
        [CaseAssignment(case=case, user=org.users["caseworker"], case_open=True)],
    )
    CaseAssignment.objects.create(case=case, user=org.users["guide"], case_open=True)
    assert _copy(case) == {False}
    CaseAssignment.objects.filter(case=case).update(case_open=True)
    assert _copy(case) == {False}


@pytest.fixture
def long_career(org, make_case):
    """A caseworker with 3 open cases among 300 they were ever assigned (each closed one
    with a deadline done), in a unit with 3 open cases of others: the shape of national
    data (a caseworker 205 open among 550, a unit 595 open)."""
    caseworker = org.users["caseworker"]
    adult = org.units[Unit.Kind.ADULT]
    template = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    closed = [
        Case(
            number=f"T-{i}",
            household_id=template.household_id,
            kind=template.kind,
            status="closed",
            responsible_unit=adult,
            opened_on=TODAY - timedelta(days=400),
            closed_on=TODAY - timedelta(days=10),
            outcome="other",
        )
        for i in range(300)
    ]
    bulk.insert(Case, closed, history=False)
    bulk.insert(CaseAssignment, [CaseAssignment(case=c, user=caseworker) for c in closed])
    bulk.insert(
        Deadline,
        [Deadline(case=c, kind="follow_up", due_on=TODAY, done_at=timezone.now()) for c in closed],
        history=False,
    )
    mine = [template] + [
        make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"]) for _ in range(2)
    ]
    others = [make_case(unit_kind=Unit.Kind.ADULT, assignees=["guide"]) for _ in range(3)]
    due = [
        Deadline.objects.create(case=c, kind="follow_up", due_on=TODAY + timedelta(days=1))
        for c in mine + others
    ]
    return SimpleNamespace(caseworker=caseworker, mine=mine, due=due)


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_the_badge_reads_ones_open_cases_not_every_case_ever_assigned(long_career):
    """PostgreSQL's own count of the rows the badge's statement read, with scans of
    whole tables ruled out as on national data (where they are never the cheaper):
    before the copy it read the caseworker's 301 assignments and looked up deadlines
    for each of their cases (more than 600 rows); now their 3 open cases'."""
    tables = ("cases_case", "cases_caseassignment", "cases_deadline")

    def read() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0)), 0)"
                " FROM pg_stat_xact_user_tables WHERE relname = ANY(%s)",
                [list(tables)],
            )
            return int(cursor.fetchone()[0])

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case, cases_caseassignment, cases_deadline")
        cursor.execute("SET LOCAL enable_seqscan = off")
    badge = selectors.my_deadline_badge(SimpleNamespace(user=long_career.caseworker), today=TODAY)
    before = read()
    counted = badge.count()
    rows = read() - before
    assert counted == 3  # the caseworker's own three, not the unit's assigned to another
    assert rows <= 40, rows
