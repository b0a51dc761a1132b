"""A page's read appended in a transaction of its own (issue 22): on PostgreSQL the
append is two round trips, where Django's transaction took five. The first sends BEGIN,
the lock and the read of the last entry as one simple query; the second the INSERT and
COMMIT together. What must hold as before: the entry is committed when the append
returns (no read is shown without it), a failure writes nothing and leaves the
connection usable, and the chain verifies. tests/audit/test_chain_concurrent.py holds
the lock's guarantees under concurrent appends, which now take this path."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, connections
from django.test.utils import CaptureQueriesContext

from audit import chain
from audit.models import AccessLogEntry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own path"),
]


def _append(user, object_id: int) -> AccessLogEntry:
    return chain.append(user_id=user.pk, object_type="cases.case", object_id=object_id, how="page")


def test_the_append_is_two_round_trips_and_committed_when_it_returns(auditor):
    _append(auditor, 1)
    with CaptureQueriesContext(connection) as ctx:
        entry = _append(auditor, 2)
    sent = [query["sql"] for query in ctx.captured_queries]
    # Django's transaction sent BEGIN, the lock, the read, the INSERT and COMMIT apart.
    assert len(sent) == 3, sent
    assert sent[0].startswith("BEGIN; SELECT pg_advisory_xact_lock(")
    assert sent[1].startswith("INSERT INTO")
    assert sent[2] == "COMMIT"
    from psycopg.pq import TransactionStatus

    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    # Committed: another connection sees it, chained to the first.
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT seq, prev_hash, hash FROM audit_accesslogentry ORDER BY seq DESC LIMIT 1"
            )
            assert cursor.fetchone() == (entry.seq, entry.prev_hash, entry.hash)
    finally:
        other.close()
    assert entry.seq == 2 and entry.pk is not None
    assert entry.prev_hash == AccessLogEntry.objects.get(seq=1).hash
    assert chain.verify().ok


def test_a_failed_append_writes_nothing_and_leaves_the_connection_usable(auditor, monkeypatch):
    _append(auditor, 1)
    real = chain._insert_params
    # An INSERT that fails in PostgreSQL, after the lock is taken and the last entry read
    # (a moment that is none, refused by the column's type).
    monkeypatch.setattr(
        chain, "_insert_params", lambda rows: real([{**row, "at": "no moment"} for row in rows])
    )
    with pytest.raises(DatabaseError):
        _append(auditor, 2)
    from psycopg.pq import TransactionStatus

    assert connection.connection.info.transaction_status == TransactionStatus.IDLE
    assert AccessLogEntry.objects.count() == 1
    monkeypatch.undo()
    # The lock was released with the rollback: the next append goes through at once.
    entry = _append(auditor, 3)
    assert entry.seq == 2
    assert chain.verify().ok and chain.verify().checked == 2


def test_without_prepared_statements_the_insert_and_commit_go_one_after_the_other(
    auditor, monkeypatch
):
    """A connection that does not prepare (DATABASE_PREPARE_THRESHOLD=off, behind a
    pooler in transaction mode) is not put in pipeline mode; the append is the same."""
    monkeypatch.setattr(chain, "prepares", lambda alias: False)
    first, second = _append(auditor, 1), _append(auditor, 2)
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert chain.verify().ok


def test_inside_a_callers_transaction_the_append_is_that_transactions(auditor):
    """A service's change appends inside its own transaction: the entry commits or rolls
    back with the change, as before."""
    from django.db import transaction

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        _append(auditor, 1)
        raise Boom
    assert AccessLogEntry.objects.count() == 0
    with transaction.atomic():
        _append(auditor, 2)
    assert list(AccessLogEntry.objects.values_list("seq", "object_id")) == [(1, 2)]


def test_a_pages_read_is_written_and_not_read_back(auditor, rf):
    """`record_read`: the entry is committed when it returns, and its row does not come
    back from the INSERT (no page shows it; making its instance cost a tenth of the
    append, issue 22)."""
    from audit.hooks import record_read

    _append(auditor, 1)
    request = rf.get("/")
    request.user = auditor
    before = AccessLogEntry.objects.order_by("-seq").first()
    with CaptureQueriesContext(connection) as ctx:
        assert record_read(request, obj=auditor) is None
    (insert,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert "RETURNING" not in insert
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert entry.seq == before.seq + 1 and entry.prev_hash == before.hash
    assert (entry.user_id, entry.object_id) == (auditor.pk, auditor.pk)
    assert chain.verify().ok


def test_one_entry_is_written_by_its_values_and_several_by_arrays_alike(auditor):
    """A page's read (one entry) binds its sixteen values alone, a list page's entries an
    array per column (issue 22): both store what their hashes were made over, with every
    kind of value (none, true, an address, a moment), and the chain verifies."""
    with CaptureQueriesContext(connection) as ctx:
        one = chain.append_many(
            [dict(user_id=auditor.pk, object_type="cases.case", object_id=7, how="page",
                  ip="192.0.2.7", case_id=None, protected=True, outside_unit=True)]
        )  # fmt: skip
        several = chain.append_many(
            [dict(user_id=auditor.pk, object_type="cases.case", object_id=i, how="list",
                  ip="", unit_id=i, via_handover=i == 2, denied=i == 3) for i in (1, 2, 3)]
        )  # fmt: skip
    inserts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("INSERT")]
    assert " VALUES (" in inserts[0] and "unnest(" not in inserts[0]
    assert "unnest(" in inserts[1]
    for entry in [*one, *several]:
        stored = AccessLogEntry.objects.get(pk=entry.pk)
        assert {f: getattr(stored, f) for f in chain.FIELDS} == {
            f: getattr(entry, f) for f in chain.FIELDS
        }
    assert one[0].ip == "192.0.2.7" and one[0].protected and one[0].case_id is None
    assert [e.seq for e in several] == [2, 3, 4]
    assert chain.verify().ok and chain.verify().checked == 4
