"""Appends from several connections at once (as gunicorn's workers make them) keep one
chain: every sequence number once, no gap, each entry chained to the one before, and
the chain verifies. An append reads the chain's last entry only once it holds the lock
(audit.chain): the entry it reads is the last one committed before, never an older one
(issue 22, point 3: the append's guarantee under load)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from audit import chain
from audit.models import AccessLogEntry

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 4
APPENDS = 15


def test_appends_from_several_connections_at_once_keep_one_chain(auditor):
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            start.wait()
            for n in range(APPENDS):
                if n % 3 == 0:
                    chain.append_many(
                        [
                            dict(
                                user_id=auditor.pk,
                                object_type="cases.case",
                                object_id=k,
                                how="list",
                            )
                            for k in range(3)
                        ]
                    )
                else:
                    chain.append(
                        user_id=auditor.pk, object_type="cases.case", object_id=writer, how="page"
                    )
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    # Per writer: 5 lists of three and 10 single entries.
    expected = WRITERS * (APPENDS // 3 * 3 + (APPENDS - APPENDS // 3))
    rows = list(AccessLogEntry.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, expected + 1))
    assert rows[0][1] == chain.GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    verdict = chain.verify()
    assert verdict.ok and verdict.checked == expected


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock")
def test_an_append_waits_for_the_lock_and_reads_what_was_committed_before_it(auditor):
    """A writer holding the lock (an append not yet committed) makes another wait; the
    waiting append then chains to the entry the first committed, not to the one before."""
    chain.append(user_id=auditor.pk, object_type="cases.case", object_id=1, how="page")
    holding, released = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def first() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                chain.append(user_id=auditor.pk, object_type="cases.case", object_id=2, how="page")
                holding.set()
                released.wait(10)
        except BaseException as error:  # noqa: BLE001
            failures.append(error)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            holding.wait(10)
            chain.append(user_id=auditor.pk, object_type="cases.case", object_id=3, how="page")
        except BaseException as error:  # noqa: BLE001
            failures.append(error)
        finally:
            connections.close_all()

    one, two = threading.Thread(target=first), threading.Thread(target=second)
    one.start()
    two.start()
    holding.wait(10)
    two.join(0.5)
    assert two.is_alive(), "the second append did not wait for the lock"
    released.set()
    one.join()
    two.join()
    assert not failures, failures
    rows = list(AccessLogEntry.objects.order_by("seq").values_list("seq", "object_id"))
    assert rows == [(1, 1), (2, 2), (3, 3)]
    assert chain.verify().ok
