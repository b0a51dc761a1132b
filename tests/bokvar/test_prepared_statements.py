"""A kept connection binds its values on the server and prepares its statements, so
PostgreSQL parses a page's statements once a connection (bokvar/settings.py, issue 22);
a connection closed after each request keeps the text with its values inlined."""

import re
import runpy
from pathlib import Path

import pytest
from django.db import connection

from bokvar.models import User

SETTINGS = Path(__file__).resolve().parents[2] / "bokvar" / "settings.py"

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


@pytest.mark.django_db
def test_a_statement_on_a_kept_connection_is_prepared_with_its_values_bound():
    for _ in range(2):  # prepared the second time it runs on the connection
        User.objects.filter(username="h24p-nobody").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    table = User._meta.db_table
    mine = [s for s in statements if f'FROM "{table}"' in s and re.search(r'"username" = \$\d', s)]
    assert mine, statements
    assert not any("h24p-nobody" in s for s in statements)


@pytest.mark.parametrize(
    ("conn_max_age", "threshold", "expected"),
    [
        ("60", "", {"server_side_binding": True, "prepare_threshold": 1}),
        ("60", "5", {"server_side_binding": True, "prepare_threshold": 5}),
        ("60", "off", {}),
        ("0", "", {}),
    ],
)
def test_only_a_kept_connection_binds_on_the_server(monkeypatch, conn_max_age, threshold, expected):
    monkeypatch.setenv("DATABASE_URL", "postgres://bokvar@db.example.se:5432/bokvar")
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", conn_max_age)
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", threshold)
    # The settings module evaluated afresh in a namespace of its own (Django's settings
    # are left as they are).
    options = runpy.run_path(str(SETTINGS))["DATABASES"]["default"]["OPTIONS"]
    assert options["options"] == "-c jit=off"
    assert {
        k: options[k] for k in ("server_side_binding", "prepare_threshold") if k in options
    } == (expected)


@pytest.mark.django_db
def test_a_text_of_several_commands_without_parameters_runs_again_and_again():
    # A migration's or a trigger's SQL: PostgreSQL cannot prepare it, so it is never
    # prepared, however often a connection runs it (bokvar/prepared.py).
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT 1; SELECT 2")
