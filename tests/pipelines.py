"""What a block sends to PostgreSQL, and in which of psycopg's pipelines: to assert that
statements go to the database together, in one round trip (issue 22)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db import connection


@dataclass(frozen=True)
class Sent:
    sql: str
    # Whether a pipeline was open when the statement was sent, and how many had been
    # opened by then: statements sent in the same open pipeline go in one round trip.
    piped: bool
    pipeline: int


@contextmanager
def statements_sent() -> Iterator[list[Sent]]:
    """The statements the block sends on the default connection, in order."""
    from psycopg import pq

    connection.ensure_connection()
    raw = connection.connection
    opened: list[int] = []
    original = type(raw).pipeline

    def pipeline(self):
        opened.append(1)
        return original(self)

    sent: list[Sent] = []

    def wrapper(execute, sql, params, many, context):
        sent.append(Sent(sql, raw.pgconn.pipeline_status != pq.PipelineStatus.OFF, len(opened)))
        return execute(sql, params, many, context)

    with pytest.MonkeyPatch.context() as patch, connection.execute_wrapper(wrapper):
        patch.setattr(type(raw), "pipeline", pipeline)
        yield sent


def one_round_trip(sent: list[Sent], *starts: str) -> bool:
    """Whether the statements beginning with each of `starts` (one each) went in one open
    pipeline."""
    found = []
    for start in starts:
        (one,) = [s for s in sent if s.sql.startswith(start)]
        found.append(one)
    return all(s.piped for s in found) and len({s.pipeline for s in found}) == 1
