"""The waiting signals (the triage queue and its navigation badge) name their status in
the statement's text (issue 22, the twentieth round).

Both run on PostgreSQL's generic plan (kept statements, `bokvar.prepared.generic_plan`).
With the status bound as a parameter, a generic plan estimates it at one signal in two
(a district's signals are almost all linked, a few waiting), and at city scale
PostgreSQL hashed every signal of the installation to look up each waiting signal's repeat:
45 ms on every page of a coordinator. Written as a constant, the estimate is the
statistics' own."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import pytest
from django.db import connection

from cases.evictions import selectors
from cases.evictions.services.triage import link_signal
from cases.models import LandlordSignal
from tests.db_roles import as_database_admin

from .conftest import OTHER_PN, receive

pytestmark = pytest.mark.django_db


def test_the_waiting_status_is_written_not_bound(org, landlord):
    """The text names 'untriaged' for the signal and for the signal it repeats; no
    parameter is the status; the rows are the rule's (the scope tests, unchanged)."""
    receive(landlord)
    request = SimpleNamespace(user=org.users["coordinator"])
    for queryset in (selectors.untriaged_badge(request), selectors.triage_queue(request.user)):
        sql, params = queryset.query.sql_with_params()
        assert not any(value == LandlordSignal.Status.UNTRIAGED for value in params)
        assert '"cases_landlordsignal"."status" = \'untriaged\'' in sql
        assert re.search(r"T\d+\.\"status\" = 'untriaged'", sql), sql
    assert selectors.untriaged_count(request) == 1


def _generic_plan(sql: str, params: tuple) -> dict:
    """PostgreSQL's generic plan of `sql` (its %s placeholders as $1, $2, ...)."""
    import psycopg.sql

    numbers = iter(range(1, len(params) + 1))
    text = re.sub(r"%s", lambda _m: f"${next(numbers)}", sql)
    with connection.cursor() as cursor:
        raw = cursor.connection
        values = ", ".join(psycopg.sql.Literal(p).as_string(raw) for p in params)
        cursor.execute(f"PREPARE waiting_probe AS {text}")
        try:
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE waiting_probe({values})")
            (plan,) = cursor.fetchone()
        finally:
            cursor.execute("RESET plan_cache_mode")
            cursor.execute("DEALLOCATE waiting_probe")
    return (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_badge_on_its_generic_plan_does_not_read_every_signal(org, landlord, make_case):
    """A district with 6,000 triaged signals and two waiting: the badge's generic plan
    reads the waiting ones by index, never the signal table whole. With the status bound
    the plan scanned the table to hash it."""
    case = make_case(assignees=["caseworker"])
    triaged = receive(landlord)
    link_signal(
        actor=org.users["coordinator"],
        signal_id=triaged.pk,
        expected_version=triaged.version,
        case_id=case.pk,
    )
    columns = ", ".join(
        f'"{f.column}"' for f in LandlordSignal._meta.concrete_fields if not f.primary_key
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO cases_landlordsignal ({columns}) "  # noqa: S608  names of the model
            f"SELECT {columns} FROM cases_landlordsignal, generate_series(1, 6000) "
            "WHERE id = %s",
            [triaged.pk],
        )
    # Another tenant, unknown: the first waits, the second repeats it.
    waiting = [
        receive(landlord, days_ago=n, personal_number=OTHER_PN, name="Ada Annansson")
        for n in (2, 1)
    ]
    assert waiting[1].repeat_of_id == waiting[0].pk
    # As the tables' owner: the application's role may not ANALYZE (tests/db_roles.py).
    with as_database_admin(), connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_landlordsignal")
    request = SimpleNamespace(user=org.users["coordinator"])
    badge = selectors.untriaged_badge(request)
    assert [s.pk for s in badge] == [waiting[0].pk]
    sql, params = badge.order_by().values("pk").query.sql_with_params()
    plan = _generic_plan(f"SELECT COUNT(*) FROM ({sql}) AS counted", params)
    scans = [
        node["Node Type"]
        for node in _nodes(plan)
        if node.get("Relation Name") == "cases_landlordsignal"
    ]
    assert scans, plan
    assert not any("Seq Scan" in scan for scan in scans), scans
