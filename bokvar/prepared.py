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

from functools import cache
from typing import Any


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
