"""Prepared statements on a kept PostgreSQL connection (issue 22, bokvar/settings.py).

With server-side binding psycopg prepares a statement once a connection has run it
`prepare_threshold` times (1: on its second run). A text run without parameters is not
prepared: it may hold several commands (a migration's SQL, the audit triggers'
functions), which PostgreSQL cannot prepare ("cannot insert multiple commands into a
prepared statement"), while psycopg sends it as a simple query when it is not; and such
texts (DDL, `SET`, `SELECT 1`) are not the statements a page repeats. Django calls the
cursor without parameters exactly when its caller gave none (`cursor.execute(sql)`);
the ORM always passes its parameters, an empty tuple included.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connections


@cache
def cursor_class() -> type:
    """Django's cursor for server-side binding, preparing no text run without parameters
    (made on first use: Django's PostgreSQL backend imports psycopg, which an
    installation on SQLite need not have)."""
    from django.db.backends.postgresql.base import ServerBindingCursor

    class UnboundNotPrepared(ServerBindingCursor):
        def execute(
            self, query: Any, params: Any = None, *, prepare: bool | None = None, **kwargs: Any
        ) -> Any:
            if params is None and prepare is None:
                prepare = False
            # psycopg's Cursor.execute: the stubs do not see the class psycopg 3 defines.
            cursor: Any = super()
            return cursor.execute(query, params, prepare=prepare, **kwargs)

    return UnboundNotPrepared


def use_cursor_class(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: a connection that binds on the server and prepares
    its statements opens its cursors with `cursor_class()`."""
    if connection.vendor != "postgresql" or not connection.features.uses_server_side_binding:
        return
    if connection.connection.prepare_threshold is None:
        return
    connection.connection.cursor_factory = cursor_class()


def one_plan(alias: str, sql: str, params: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """`sql` with its values written into its text, and no parameters left, where the
    connection prepares its statements; elsewhere `sql` and `params` as given.

    For a statement its caller keeps and runs again and again with the same values
    (`bokvar.counting.counter`: the navigation's badges, kept per reader and day). A
    prepared statement with parameters is planned afresh on every run for as long as
    PostgreSQL judges its generic plan dearer than the custom ones (`plan_cache_mode`
    auto), and the badges' was: planned on each of 138 runs, 2.05 ms of planning beside
    2.07 ms of execution (issue 22, docs/performance.md, the thirteenth round). A
    prepared statement without parameters is planned once, with these very values, and
    the plan is kept for the connection. The values are written by psycopg's own
    quoting (`DatabaseOperations.compose_sql`), as client-side binding writes them; a
    `%` they bring is doubled, since the text still goes through psycopg's placeholders."""
    connection = connections[alias]
    options = connection.settings_dict.get("OPTIONS", {})
    if (
        connection.vendor != "postgresql"
        or not options.get("server_side_binding")
        or options.get("prepare_threshold") is None
    ):
        return sql, tuple(params)
    ops: Any = connection.ops  # PostgreSQL's operations: compose_sql is theirs alone
    return ops.compose_sql(sql, params).replace("%", "%%"), ()
