"""A search by identity number finds a household or two: for anyone but a coordinator,
their grants are asked of the few cases found (the rule's form for one case), not the
cases found looked for among all their grants (issue 22: at national scale PostgreSQL
walked a caseworker's 2,200 grants to compare each case's household, 6,600 buffers for
the list and as many for its count). The same cases for every reader."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.core.selectors.cases import CaseFilters, case_list_for_pager, visible_cases
from cases.models import Person

pytestmark = pytest.mark.django_db

NUMBER = "19800101-2387"  # cases.a's main tenant (tests/case_fixtures.py)
READERS = ("caseworker", "caseworker2", "guide", "coordinator", "steering", "auditor")

GRANTS_LISTED = '"content_object_id" AS "content_object_id" FROM "cases_caseuserobjectpermission"'


def _search(user, q: str) -> tuple[set[int], int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        pages, _ = case_list_for_pager(user, CaseFilters(q=q))
        found = {case.pk for case in pages[0:25]}
        counted = pages.count_window(lambda: _ids(user, q), slice(0, 1001))
    statements = [q["sql"] for q in queries.captured_queries if "cases_case" in q["sql"]]
    return found, counted, statements


def _ids(user, q):
    _pages, to_count = case_list_for_pager(user, CaseFilters(q=q))
    return to_count().order_by().values("pk")


def test_every_reader_finds_by_number_exactly_the_cases_the_rule_gives(org, cases):
    households = Person.objects.filter(pk=cases.a.household.head_id).values("household_id")
    for name in READERS:
        user = org.users[name]
        expected = set(
            visible_cases(user).filter(household_id__in=households).values_list("pk", flat=True)
        )
        found, counted, _ = _search(user, NUMBER)
        assert found == expected, name
        assert counted == len(expected), name
    # Who may and who may not: the case's caseworker and the coordinator find it, the
    # income-support caseworker without a grant does not.
    assert cases.a.pk in _search(org.users["caseworker"], NUMBER)[0]
    assert cases.a.pk in _search(org.users["coordinator"], NUMBER)[0]
    assert cases.a.pk not in _search(org.users["caseworker2"], NUMBER)[0]


def test_a_caseworkers_search_by_number_asks_the_grants_of_the_cases_found(org, cases):
    _found, _counted, statements = _search(org.users["caseworker"], NUMBER)
    assert statements, "the search ran no statement on the cases"
    for statement in statements:
        assert "cases_caseuserobjectpermission" in statement
        assert GRANTS_LISTED not in statement
    # A name search still lists the grants (the cases are found from them), so the
    # check above is not vacuous.
    _found, _counted, statements = _search(org.users["caseworker"], "astrid adultsson")
    assert any(GRANTS_LISTED in statement for statement in statements)
