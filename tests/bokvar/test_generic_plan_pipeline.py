"""`generic_plan` sends the plan mode's setting, the block's statements and the reset in
one round trip (psycopg's pipeline mode, issue 22), outside a transaction as the
navigation's badges run: the rows are fetched after the block, and a statement that
fails there takes the setting back with it (one implicit transaction) and is not
hidden."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from psycopg import pq

from bokvar.prepared import generic_plan, prepares

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements"),
]


def _mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_the_setting_the_statement_and_the_reset_go_together():
    assert prepares(connection.alias)
    with connection.cursor() as cursor:
        assert connection.get_autocommit()
        with generic_plan(cursor, connection.alias):
            # Queued, not yet sent: the connection is in pipeline mode for the block.
            assert connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF
            cursor.execute("SELECT current_setting('plan_cache_mode'), %s::int", [7])
        assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
        assert cursor.fetchone() == ("force_generic_plan", 7)
    assert _mode() == "auto"


def test_a_statement_that_fails_outside_a_transaction_is_raised_and_the_mode_is_back():
    with (
        pytest.raises(DatabaseError, match="no_such_table"),
        connection.cursor() as cursor,
        generic_plan(cursor, connection.alias),
    ):
        cursor.execute("SELECT * FROM no_such_table WHERE id = %s", [1])
    assert _mode() == "auto"
    # The connection is usable after it.
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int", [1])
        assert cursor.fetchone() == (1,)


def test_then_goes_in_the_same_round_trip_after_the_reset():
    """`then` (the case list's count beside its page) is sent after the reset, in the
    block's pipeline, so it runs on the session's own plan mode; its rows are fetched
    after the block too."""
    with connection.cursor() as cursor, connection.cursor() as after:

        def then():
            assert connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF
            after.execute("SELECT current_setting('plan_cache_mode'), %s::int", [8])

        with generic_plan(cursor, connection.alias, then=then):
            cursor.execute("SELECT current_setting('plan_cache_mode'), %s::int", [7])
        assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
        assert cursor.fetchone() == ("force_generic_plan", 7)
        assert after.fetchone() == ("auto", 8)


def test_then_is_not_sent_after_a_block_that_raised():
    sent = []
    with (
        pytest.raises(RuntimeError),
        connection.cursor() as cursor,
        generic_plan(cursor, connection.alias, then=lambda: sent.append(1)),
    ):
        raise RuntimeError("the block failed")
    assert not sent
    assert _mode() == "auto"


def test_pipelined_sends_the_block_together_on_the_sessions_plan_mode():
    assert prepares(connection.alias)  # as the pages run: else the block runs as it is
    from bokvar.prepared import pipelined

    with connection.cursor() as first, connection.cursor() as second:
        with pipelined(connection.alias):
            assert connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF
            first.execute("SELECT current_setting('plan_cache_mode'), %s::int", [1])
            second.execute("SELECT %s::int", [2])
        assert connection.connection.pgconn.pipeline_status == pq.PipelineStatus.OFF
        assert first.fetchone() == ("auto", 1) and second.fetchone() == (2,)
    with (
        pytest.raises(DatabaseError, match="no_such_table"),
        connection.cursor() as cursor,
        pipelined(connection.alias),
    ):
        cursor.execute("SELECT * FROM no_such_table WHERE id = %s", [1])
    with connection.cursor() as cursor:  # usable after it
        cursor.execute("SELECT %s::int", [3])
        assert cursor.fetchone() == (3,)
