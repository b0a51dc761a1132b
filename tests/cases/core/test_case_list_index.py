"""A coordinator's case list finds its page's cases in the list's order index alone
(`case_list_ids`, issue 22): the unit and the status are in the index, so the walk past
the other districts' cases reads no table row. With the order alone in the index, each
case passed over was a row read from the table: 964 of them, 1,435 buffers, for the first
page of a coordinator at national scale."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from cases.core.selectors.cases import CaseFilters, case_list_for_pager
from cases.models import Case
from tests.case_fixtures import build_cases

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


def _walk(user, filters: CaseFilters):
    """The page's ids, as `CaseListPages` reads them: the visible cases, filtered, in
    the list's order."""
    pages, _count = case_list_for_pager(user, filters)
    return pages.cases.order_by("-opened_on", "-id").values("pk")[:25]


@pytest.mark.parametrize("status", ["", Case.Status.OPEN])
def test_a_coordinators_page_is_found_in_the_order_index_alone(org, make_case, status):
    cases = build_cases(make_case)
    coordinator = org.users["coordinator"]
    filters = CaseFilters(status=status)
    expected = list(_walk(coordinator, filters))
    assert {row["pk"] for row in expected} >= {cases.a.pk, cases.b.pk, cases.g.pk}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
            # Every other way to the ordered ids off: the plan reads them from the index
            # alone, or (without the unit and status in the index) cannot avoid the table.
            for setting in ("seqscan", "bitmapscan", "indexscan", "sort"):
                cursor.execute(f"SET LOCAL enable_{setting} = off")
        plan = _walk(coordinator, filters).explain()
        assert list(_walk(coordinator, filters)) == expected
    walk = next(line for line in plan.splitlines() if "cases_case" in line)
    assert "Index Only Scan using case_list_ids on cases_case" in walk, plan
