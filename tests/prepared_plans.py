"""What PostgreSQL's session holds of a prepared statement: its generic and custom plans
and parameter types (`pg_prepared_statements`), and the session's `plan_cache_mode`."""

from __future__ import annotations

from typing import Any

from django.db import connection


def prepared_plans(statement_like: str) -> tuple[list[tuple[Any, ...]], str]:
    """(generic plans, custom plans, parameter types) of each prepared statement whose
    text is LIKE `statement_like`, and the session's plan cache mode."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans, parameter_types FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            [statement_like],
        )
        rows = cursor.fetchall()
        cursor.execute("SHOW plan_cache_mode")
        mode = cursor.fetchone()[0]
    return rows, mode


def generic_runs_only(statement_like: str) -> int:
    """Assert that every prepared statement whose text is LIKE `statement_like` ran on
    generic plans only (at least one such statement, no custom plan) and that the
    session's plan cache mode is back to `auto`; returns their generic runs in all."""
    rows, mode = prepared_plans(statement_like)
    assert rows, f"no prepared statement like {statement_like!r}"
    assert all(custom == 0 and generic >= 1 for generic, custom, _types in rows), rows
    assert mode == "auto"
    return sum(generic for generic, _custom, _types in rows)
