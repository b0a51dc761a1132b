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

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


def prepares(alias: str) -> bool:
    """Whether the connection `alias` prepares its statements (server-side binding with a
    prepare threshold: bokvar/settings.py)."""
    connection = connections[alias]
    options = connection.settings_dict.get("OPTIONS", {})
    return (
        connection.vendor == "postgresql"
        and bool(options.get("server_side_binding"))
        and options.get("prepare_threshold") is not None
    )


@contextmanager
def generic_plan(
    cursor: Any, alias: str, *, then: Callable[[], object] | None = None
) -> Iterator[None]:
    """Run what the block executes on `cursor` with PostgreSQL's generic plan, where the
    connection prepares its statements; elsewhere as it is.

    For a statement kept and run on every page whose text every reader of the same roles
    shares, its values bound (`bokvar.counting.counter`: the navigation's badges). With
    `plan_cache_mode` auto, PostgreSQL plans a prepared statement afresh on each run for
    as long as it judges the generic plan dearer than the custom ones, and it did so for
    the badges on every page: 139 plans in 138 runs, 2.05 ms of planning beside 2.07 ms
    of execution (issue 22, docs/performance.md, the thirteenth round). Measured at
    national scale for 15 readers of every role, the generic plan ran as fast as the
    custom one or faster, so planning was all the custom plans added. The setting is
    the session's for the block only: reset after it, also when it fails (where the
    failure aborted a transaction, its rollback undoes the setting, and a reset there
    would only hide the error). Not where statements are not prepared (a pooler in
    transaction mode would carry a session's setting to another client).

    The setting, the block's statements and the reset go to PostgreSQL together, in
    psycopg's pipeline mode: one round trip where there were three (the badges' count
    1.69 -> 1.53 ms at national scale, issue 22). A caller fetches its
    rows after the block; a fetch inside it waits for what was sent so far, as before.
    Outside a transaction the three are one implicit transaction: a statement that fails
    takes the setting back with it, and the reset is not sent into the aborted pipeline
    (where it would hide the error).

    `then`: what to send after the reset, in the same round trip, on the session's own
    plan mode (the case list's count beside its page). It runs after a block that did
    not raise; its rows too are fetched after the block."""
    if not prepares(alias):
        yield
        if then is not None:
            then()
        return
    connection = connections[alias]
    with (
        connection.cursor() as setting,
        connection.wrap_database_errors,
        connection.connection.pipeline(),
    ):
        setting.execute("SET plan_cache_mode = force_generic_plan")
        try:
            yield
        finally:
            if not _transaction_aborted(alias):
                setting.execute("RESET plan_cache_mode")
        if then is not None:
            then()


@contextmanager
def pipelined(alias: str) -> Iterator[None]:
    """Send what the block executes to PostgreSQL together, in one round trip (psycopg's
    pipeline mode; each cursor's rows fetched after the block), as `generic_plan` does
    without its plan mode, on the same connections (those that prepare their
    statements: server-side binding); elsewhere as it is. Outside a transaction the
    block's statements are one implicit transaction: one that fails fails the others."""
    if not prepares(alias):
        yield
        return
    connection = connections[alias]
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield


def _transaction_aborted(alias: str) -> bool:
    from psycopg.pq import PipelineStatus, TransactionStatus  # only where it prepares

    raw = connections[alias].connection
    if raw is None:
        return False
    return bool(
        raw.info.transaction_status == TransactionStatus.INERROR
        or raw.pgconn.pipeline_status == PipelineStatus.ABORTED
    )


# A placeholder as Django writes them (`%s`), or a percent sign it escaped (`%%`).
_PLACEHOLDER = re.compile(r"%%|%s")


def texts_written(
    alias: str, sql: str, params: Sequence[Any]
) -> tuple[str, tuple[Any, ...], tuple[int | None, ...]]:
    """`sql` with each parameter that is a string (a choice, Django's `TextChoices`,
    included) written into the text as a literal (psycopg's `sql.Literal`, by the
    connection's own adapters), the others still bound: (the text, its parameters, and
    for each parameter given its position among those left, None where it was written).

    For a statement kept and run on every page whose strings are the code's own
    constants: the keys of the JSON objects of the case page's lists (91 of its 109
    parameters), the statuses and roles the badges count by (23 of 38). psycopg converts
    a text's placeholders again on every run when the text is over 4,096 bytes or 50
    parameters, and dumps every parameter on every run: 0.3 ms of web CPU for the case
    page's lists at national scale (issue 22, the twenty-fourth round). Numbers and dates stay bound:
    ids are the reader's (a text shared by readers of the same roles is prepared once
    a connection), and a day changes. Not for values a person typed (a search's words
    stay bound, never in a kept text). Elsewhere than PostgreSQL, and for a text whose
    placeholders do not match its parameters, unchanged."""
    connection = connections[alias]
    unchanged = (sql, tuple(params), tuple(range(len(params))))
    if connection.vendor != "postgresql" or not any(isinstance(p, str) for p in params):
        return unchanged
    if sum(1 for m in _PLACEHOLDER.finditer(sql) if m.group() == "%s") != len(params):
        return unchanged
    from psycopg import sql as psycopg_sql  # only on PostgreSQL

    connection.ensure_connection()
    raw = connection.connection
    values = iter(params)
    bound: list[Any] = []
    positions: list[int | None] = []

    def place(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        value = next(values)
        if isinstance(value, str):
            positions.append(None)
            # psycopg still reads the text for the placeholders left: a percent sign in
            # the literal is written as Django writes one, doubled.
            return psycopg_sql.Literal(value).as_string(raw).replace("%", "%%")
        positions.append(len(bound))
        bound.append(value)
        return "%s"

    return _PLACEHOLDER.sub(place, sql), tuple(bound), tuple(positions)
