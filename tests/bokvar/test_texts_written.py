"""Strings written into a kept statement's text (`bokvar.prepared.texts_written`, issue
22): the case page's lists and the navigation's badges run on every page with the
code's own strings (JSON keys, statuses, roles) written as literals, so psycopg
converts and dumps only the values left bound. Each written statement answers as its
bound form does, whatever the string holds."""

from __future__ import annotations

import pytest
from django.db import connection

from bokvar.counting import counter
from bokvar.models import Membership, Role, Unit, User
from bokvar.prepared import texts_written

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's literals"),
]

AWKWARD = ["it's", "5% off", "back\\slash", 'a "quoted" word', "%s", "%%", "", "rad\nbrytning"]


def _row(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@pytest.mark.parametrize("text", AWKWARD)
def test_a_written_string_answers_as_the_bound_one(text):
    sql = "SELECT %s::text, %s::int, '100%%', %s::text, %s::text"
    params = [text, 7, Role.COORDINATOR, text]
    written, bound, positions = texts_written("default", sql, params)
    assert bound == (7,)
    assert positions == (None, 0, None, None)
    assert "%s::int" in written and written.count("%s") == 1 + written.count("%%s")
    assert _row(written, bound) == _row(sql, params) == (text, 7, "100%", "coordinator", text)


def test_numbers_and_dates_stay_bound():
    import datetime

    day = datetime.date(2026, 12, 7)
    written, bound, positions = texts_written(
        "default", "SELECT %s::int, %s::date, %s::text", [3, day, "x"]
    )
    assert bound == (3, day) and positions == (0, 1, None)
    assert _row(written, bound) == (3, day, "x")


def test_a_text_whose_placeholders_do_not_match_is_left_as_it_is():
    sql, params = "SELECT %s::text", ["a", "b"]
    assert texts_written("default", sql, params) == (sql, ("a", "b"), (0, 1))


def test_the_badges_statement_binds_no_string(org):
    querysets = [
        User.objects.filter(is_active=True, memberships__role=Role.CASEWORKER),
        Unit.objects.filter(kind=Unit.Kind.ADULT),
        Membership.objects.filter(user=org.users["coordinator"]),
    ]
    expected = [qs.count() for qs in querysets]
    seen = []

    def watch(execute, sql, params, many, context):
        if "COUNT(*)" in sql:
            seen.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert counter(querysets)() == expected
    assert len(seen) == 1
    assert not [p for p in seen[0] if isinstance(p, str)], seen
    assert org.users["coordinator"].pk in seen[0]
