"""The staff of a reader's districts (`staff_choices`: the case list's assignee filter and
the forms' staff options) are read a unit at a time from one index of the memberships,
without their rows (bokvar.models.Membership, issue 22): at national scale the scan of
every membership of the country was 1.2 ms of every case list page."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from cases.core.selectors import cases as case_selectors

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans"),
]


def test_the_staff_of_a_district_are_read_from_the_membership_index(org):
    coordinator = org.users["coordinator"]
    expected = set(case_selectors.staff_choices(coordinator))
    assert org.users["caseworker"] in expected and org.users["guide"] in expected
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE bokvar_membership")
            # The test database's few rows are cheapest to scan whatever the indexes;
            # without scans the plan shows which index serves the statement.
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = case_selectors.staff_choices(coordinator).explain()
        assert set(case_selectors.staff_choices(coordinator)) == expected
    assert "Index Only Scan using membership_unit_role_user on bokvar_membership" in plan, plan
