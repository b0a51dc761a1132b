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

from collections.abc import Iterator
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


# psycopg turns a statement's placeholders into PostgreSQL's ($1, $2, ...) by a regular
# expression over its text, and keeps the result of its last 128 statements, but only of
# those up to 4,096 bytes and 50 parameters (psycopg._queries): a longer one is converted
# afresh on every run. The statements this project keeps and runs on every page are
# longer: the case page's sections in one statement (12 KB, 116 parameters), the
# coordinator's badges, the triage queue. Converting them was 1.25 ms of the case page's
# web CPU and 0.15-0.22 ms of the signal and triage pages' (issue 22, the eighteenth
# round). The limits are raised so they are kept too. The number kept stays psycopg's
# 128, so its memory stays bounded (at most 128 texts of 32 KB, with their parts); a
# statement longer than that is still converted on each run.
CACHED_STATEMENT_LENGTH = 32 * 1024
CACHED_STATEMENT_PARAMS = 1000


def cache_long_statements() -> None:
    """Raise psycopg's limits on the statements whose conversion it keeps."""
    from psycopg import _queries  # PostgreSQL only; psycopg reads the limits on each run

    _queries.MAX_CACHED_STATEMENT_LENGTH = max(
        _queries.MAX_CACHED_STATEMENT_LENGTH, CACHED_STATEMENT_LENGTH
    )
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(
        _queries.MAX_CACHED_STATEMENT_PARAMS, CACHED_STATEMENT_PARAMS
    )


def use_cursor_class(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: a connection that binds on the server and prepares
    its statements opens its cursors with `cursor_class()`; psycopg keeps the conversion
    of long statements (`cache_long_statements`)."""
    if connection.vendor != "postgresql":
        return
    cache_long_statements()
    if not connection.features.uses_server_side_binding:
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
def generic_plan(cursor: Any, alias: str) -> Iterator[None]:
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
    (where it would hide the error)."""
    if not prepares(alias):
        yield
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


def _transaction_aborted(alias: str) -> bool:
    from psycopg.pq import PipelineStatus, TransactionStatus  # only where it prepares

    raw = connections[alias].connection
    if raw is None:
        return False
    return bool(
        raw.info.transaction_status == TransactionStatus.INERROR
        or raw.pgconn.pipeline_status == PipelineStatus.ABORTED
    )
