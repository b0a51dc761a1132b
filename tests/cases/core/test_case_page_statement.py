"""The case page's lists are read with a statement compiled once per reader, their roles
and the day (cases.core.selectors.rows, issue 22): the rows are those of the moment and
of the case asked for, one reader's statement never serves another, a change of roles
gives a new one, and a statement whose building read the database is not kept."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from bokvar import services as org_services
from bokvar.models import Role, Unit
from cases import case_page
from cases.core.selectors import rows
from cases.evictions.services import contacts
from tests.case_fixtures import person

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite reads each list alone (read_together)"
    ),
]


@pytest.fixture(autouse=True)
def _no_statements_kept():
    rows._STATEMENTS.clear()
    yield
    rows._STATEMENTS.clear()


def _page(client, case) -> str:
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _contact(org, case, note: str) -> None:
    contacts.record_contact(
        actor=org.users["caseworker"],
        case_id=case.pk,
        kind="call",
        on=timezone.localdate(),
        reached=True,
        note=note,
    )


def test_one_compilation_serves_every_case_with_the_rows_of_the_moment(org, make_case, client):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    first = make_case(assignees=["caseworker"], people=[person("Anna", "Förstadotter")])
    second = make_case(assignees=["caseworker"], people=[person("Bo", "Andrasson")])
    _contact(org, first, "samtal om hyran")
    with mock.patch.object(rows, "_compile", wraps=rows._compile) as compiled:
        page = _page(client, first)
        assert "Förstadotter" in page and "samtal om hyran" in page
        # Another case through the kept statement: its own rows, none of the first's.
        page = _page(client, second)
        assert "Andrasson" in page
        assert "Förstadotter" not in page and "samtal om hyran" not in page
        # A row written after the statement was kept is on the next page.
        _contact(org, second, "nytt samtal")
        assert "nytt samtal" in _page(client, second)
    assert compiled.call_count == 1


def test_one_readers_statement_never_serves_another(org, make_case, client):
    case = make_case(assignees=["caseworker"], people=[person("Cilla", "Tredjedotter")])
    with mock.patch.object(rows, "_compile", wraps=rows._compile) as compiled:
        for name in ("caseworker", "coordinator", "caseworker"):
            client.force_login(org.users[name], backend="django.contrib.auth.backends.ModelBackend")
            assert "Tredjedotter" in _page(client, case)
    assert compiled.call_count == 2
    assert {key[2] for key in rows._STATEMENTS} == {
        org.users["caseworker"].pk,
        org.users["coordinator"].pk,
    }


def test_a_new_membership_gives_a_new_statement(org, make_case, client):
    caseworker = org.users["caseworker"]
    client.force_login(caseworker, backend="django.contrib.auth.backends.ModelBackend")
    case = make_case(assignees=["caseworker"], people=[person("Dan", "Fjärdesson")])
    with mock.patch.object(rows, "_compile", wraps=rows._compile) as compiled:
        _page(client, case)
        org_services.add_membership(
            user=caseworker, unit=org.units[Unit.Kind.INCOME_SUPPORT], role=Role.CASEWORKER
        )
        _page(client, case)
    assert compiled.call_count == 2


def test_a_statement_whose_building_read_the_database_is_not_kept(org, make_case, client):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    case = make_case(assignees=["caseworker"], people=[person("Eva", "Femtedotter")])
    reading = rows.CaseRows(
        "reads_while_built",
        # Reads the case's assignments while it is built: their answer would be frozen.
        lambda request, of: case.assignments.filter(
            user_id__in=list(case.assignments.values_list("user_id", flat=True))
        ),
    )
    with mock.patch.object(case_page, "ROWS", [*case_page.ROWS, reading]):
        _page(client, case)
        _page(client, case)
    assert rows._STATEMENTS == {}
    # Without the reading list the statement is kept.
    _page(client, case)
    assert len(rows._STATEMENTS) == 1


def test_the_lists_are_read_on_one_generic_plan_with_the_rows_of_the_moment(org, make_case, client):
    """PostgreSQL planned the page's lists statement afresh on every page (1.3 ms of
    planning beside 2.4 ms of execution at city scale, issue 22); it runs on its generic
    plan, the session's mode reset after, and still shows what was written since."""
    from tests.prepared_plans import generic_runs_only

    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    cases = [make_case(assignees=["caseworker"]) for _ in range(3)]
    for i in range(3):
        for case in cases:
            _contact(org, case, f"anteckning {case.pk} {i}")
            page = _page(client, case)
            assert f"anteckning {case.pk} {i}" in page
    # Nine pages: the first runs the text unprepared, psycopg prepares it from the second.
    assert generic_runs_only("SELECT to_jsonb(ARRAY(%") >= 8


def test_the_lists_json_keys_are_written_into_the_text_and_only_values_bound(
    org, make_case, client
):
    """`texts_written`: the JSON keys of the lists' rows are literals of the kept text;
    what is bound is the reader's ids, the day and the case's id, which each run sets."""
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    case = make_case(assignees=["caseworker"], people=[person("Greta", "Nyckelsdotter")])
    _contact(org, case, "samtal om nycklarna")
    page = _page(client, case)
    assert "Nyckelsdotter" in page and "samtal om nycklarna" in page
    (statement,) = rows._STATEMENTS.values()
    assert not [p for p in statement.params if isinstance(p, str)], statement.params
    assert "'_row'" in statement.sql
    assert statement.params[statement.case_at[0]] == rows._CASE_ID
    assert org.users["caseworker"].pk in statement.params
    # Each list comes as one JSON array, decoded at once (not an array of JSON values).
    lists = [field for name, field in statement.columns if name.startswith("list_")]
    assert lists and {type(field).__name__ for field in lists} == {"JSONField"}
