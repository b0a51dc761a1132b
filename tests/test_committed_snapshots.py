"""The committed copy of a transactional test's fixture rows (tests/shared_data.py,
`CommittedSnapshots`): the next test gets the rows of a new build, and anything it cannot
copy is built as before."""

import pytest
from django.core.management.color import no_style
from django.db import connection

from tests.shared_data import CommittedSnapshots, build_organisation, load_organisation

pytestmark = pytest.mark.django_db(transaction=True)


def table_rows(tables: list[str]) -> dict[str, list[tuple]]:
    rows = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            rows[table] = cursor.fetchall()
    return rows


def flush() -> None:
    tables = connection.introspection.django_table_names(only_existing=True)
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))


def test_a_copied_organisation_has_the_rows_of_the_first_build():
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; elsewhere the fixtures build as before")
    snapshots = CommittedSnapshots()
    built = snapshots.build(("organisation",), build_organisation)
    assert built is not None  # the first build ran
    tables = snapshots.filled_tables()
    assert {"bokvar_district", "bokvar_unit", "bokvar_user"} <= set(tables)
    first = table_rows(tables)
    flush()
    assert snapshots.filled_tables() == []
    assert snapshots.build(("organisation",), build_organisation) is None  # copied
    assert snapshots.filled_tables() == tables
    assert table_rows(tables) == first
    # The copy is usable as the build is: the users sign in with the demo password.
    district, units, users = load_organisation()
    assert users["coordinator"].check_password("demo-pass-2026")
    assert users["coordinator"].memberships.first().unit in units.values()


def test_rows_already_there_are_not_replaced_by_a_copy(django_user_model):
    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's; elsewhere the fixtures build as before")
    snapshots = CommittedSnapshots()
    snapshots.build(("organisation",), build_organisation)
    flush()
    django_user_model.objects.create(username="already-here")
    calls = []
    snapshots.build(("organisation",), lambda: calls.append(1) or "built")
    assert calls == [1]  # built, as a test without the copy would
