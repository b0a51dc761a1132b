"""The flag for unusually many people opened in a day reads a bounded number of the
reader's rows (issue 22: after the load test's accounts had opened 50,000 people each,
the auditor's page took 247 ms counting them), and still decides exactly as counting
every opening of the day does (`busy_days`)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AccessLogEntry, How
from audit.review import busy_days, busy_pairs, flag, probe_size

pytestmark = pytest.mark.django_db

DAY = timezone.make_aware(datetime(2026, 11, 3, 8, 0))


class Log:
    """Entries written straight to the table (the chain is not what is tested here)."""

    def __init__(self) -> None:
        self.rows: list[AccessLogEntry] = []

    def add(self, user_id: int, people: list[int | None], *, how: str = How.PAGE, at=DAY):
        for person_id in people:
            seq = len(self.rows) + 1
            self.rows.append(
                AccessLogEntry(
                    seq=seq, at=at + timedelta(seconds=seq), user_id=user_id,
                    object_type="cases.person", object_id=person_id or 1, how=how,
                    person_id=person_id, prev_hash="0" * 64, hash="0" * 64,
                )
            )  # fmt: skip

    def save(self) -> list[AccessLogEntry]:
        AccessLogEntry.objects.bulk_create(self.rows)
        return list(AccessLogEntry.objects.order_by("seq"))


def test_decides_as_counting_every_opening(settings):
    settings.AUDIT_DAILY_READ_THRESHOLD = 2
    size = probe_size()
    log = Log()
    log.add(1, [101, 102, 103])  # three people: busy, seen among the first openings
    log.add(2, [201] * size + [202, 203])  # the same one first, then two more: busy
    log.add(3, [301] * (size + 5))  # one person over and over: not busy
    log.add(4, [401, 402])  # at the threshold: not busy
    log.add(5, list(range(501, 520)), how=How.LIST)  # listed, not opened: not busy
    log.add(6, [None] * 5)  # no person: not busy
    log.add(7, [701, 702, 703], at=DAY + timedelta(days=1))  # busy the next day only
    log.add(7, [701, 702])
    entries = log.save()
    pairs = {(e.user_id, timezone.localdate(e.at)) for e in entries}
    day = DAY.date()
    expected = {(1, day), (2, day), (7, day + timedelta(days=1))}
    assert busy_days(AccessLogEntry.objects.all()) == expected
    assert busy_pairs(pairs) == expected
    flagged = {
        (r.entry.user_id, timezone.localdate(r.entry.at))
        for r in flag(entries)
        if "many" in r.flags
    }
    assert flagged == expected
    assert busy_pairs(set()) == set()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_a_reader_of_thousands_is_decided_from_a_few_hundred_rows(settings):
    settings.AUDIT_DAILY_READ_THRESHOLD = 100
    log = Log()
    log.add(1, list(range(1, 3001)), how=How.LIST)
    log.add(1, list(range(10_001, 13_001)))
    log.add(2, [7, 8])
    entries = log.save()
    # The busy reader's last and first opening, and the other reader's last.
    shown = [entries[-3], entries[3000], entries[-1]]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_accesslogentry")

    def fetched() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0)"
                " FROM pg_stat_xact_user_tables WHERE relname = 'audit_accesslogentry'"
            )
            return cursor.fetchone()[0]

    before = fetched()
    rows = flag(shown)
    read = fetched() - before
    assert [("many" in r.flags) for r in rows] == [True, True, False]
    # The busy reader's first probe_size() openings, and the other reader's two; not the
    # 6,000 rows of the busy reader's day (counting them all read every one).
    assert read <= probe_size() + 10, read
