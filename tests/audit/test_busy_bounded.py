"""The flag for unusually many people opened in a day reads a bounded number of the
reader's rows (issue 22: after the load test's accounts had opened 50,000 people each,
the auditor's page took 247 ms counting them), and still decides exactly as counting
every opening of the day does (`busy_days`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audit import review
from audit.models import AccessLogEntry, How
from audit.review import LogFilters, busy_days, busy_in_period, busy_pairs, flag, probe_size
from audit.review import entries as review_entries

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
def test_a_reader_of_thousands_is_decided_from_a_hundred_rows(settings):
    """Three readers of one day: 3,000 people opened (and 3,000 listed), 50 people opened
    60 times each, and two people. The flags read a row for each person stepped to, at
    most one past the threshold a reader; counting every opening read each of them."""
    settings.AUDIT_DAILY_READ_THRESHOLD = 100
    log = Log()
    log.add(1, list(range(1, 3001)), how=How.LIST)
    log.add(1, list(range(10_001, 13_001)))
    log.add(3, [p for _ in range(60) for p in range(501, 551)])
    log.add(2, [7, 8])
    entries = log.save()
    # The busy reader's last and first opening, the third reader's, the other's last.
    shown = [entries[5999], entries[3000], entries[6000], entries[-1]]
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
    assert [("many" in r.flags) for r in rows] == [True, True, False, False]
    # 101 steps for the busy reader, 50 for the third, 2 for the last: not the 9,000
    # openings of the day (counting them read every one, 9,002 rows).
    assert read <= 101 + 50 + 2 + 5, read


def _group_by_statements(queries) -> int:
    return sum("GROUP BY" in q["sql"] for q in queries.captured_queries)


def test_the_flagged_filter_counts_a_day_that_is_over_once(settings):
    """Busy readers of the whole log (the flagged filter with no period): the days that
    are over are counted once per process, in one query; today as it is now."""
    from django.test.utils import CaptureQueriesContext

    from bokvar.models import User

    settings.AUDIT_DAILY_READ_THRESHOLD = 2
    one, two, three, four = (User.objects.create(username=f"reader{n}").pk for n in range(4))
    now = timezone.now()
    log = Log()
    log.add(one, [11, 12, 13], at=now - timedelta(days=30))  # busy a month ago
    log.add(two, [21, 22], at=now - timedelta(days=30))  # at the threshold: not busy
    log.add(two, [21, 22, 23], at=now - timedelta(days=3))  # busy three days ago
    log.add(three, [31], at=now - timedelta(days=3))
    entries = log.save()
    past = {(one, timezone.localdate(entries[0].at)), (two, timezone.localdate(entries[5].at))}
    assert busy_days(AccessLogEntry.objects.all()) == past
    with CaptureQueriesContext(connection) as first:
        assert busy_in_period(None, None) == past
    assert _group_by_statements(first) == 2  # the days that are over, and today
    # Today's readers, as they are now.
    for n, person in enumerate([41, 42, 43]):
        AccessLogEntry.objects.create(
            seq=100 + n, user_id=four, object_type="cases.person", object_id=person,
            how=How.PAGE, person_id=person, prev_hash="0" * 64, hash="0" * 64,
        )  # fmt: skip
    today = {(four, timezone.localdate())}
    with CaptureQueriesContext(connection) as second:
        assert busy_in_period(None, None) == past | today
    assert _group_by_statements(second) == 1  # today only
    # A period, a reader, and the flagged filter itself.
    month_ago = timezone.localdate(entries[0].at)
    assert busy_in_period(month_ago, month_ago) == {(one, month_ago)}
    assert busy_in_period(None, None, user_id=two) == {p for p in past if p[0] == two}
    assert busy_in_period(timezone.localdate(), None) == today
    flagged = list(review_entries(LogFilters(flagged=True)))
    assert {e.user_id for e in flagged} == {one, two, four}
    assert all(e.user_id != two or e.at > now - timedelta(days=4) for e in flagged)


def test_a_day_is_over_only_minutes_after_midnight(settings):
    """An entry dated 23:59:59 may be committed a moment after midnight: the day is not
    remembered as over until a few minutes into the next."""
    from unittest import mock

    settings.AUDIT_DAILY_READ_THRESHOLD = 1
    day = DAY.date()
    log = Log()
    log.add(1, [1, 2], at=timezone.make_aware(datetime(2026, 11, 3, 23, 59, 50)))
    log.save()
    just_after = timezone.make_aware(datetime(2026, 11, 4, 0, 2))
    with mock.patch("django.utils.timezone.now", return_value=just_after):
        assert busy_in_period(day, None) == {(1, day)}
    assert not review._FINISHED
    later = timezone.make_aware(datetime(2026, 11, 4, 0, 10))
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert busy_in_period(day, None) == {(1, day)}
    assert {(day, 1): frozenset({1})} == review._FINISHED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
@pytest.mark.parametrize("busy", [False, True])
def test_the_flagged_filter_reads_the_flagged_entries_by_their_index(settings, busy):
    """The flagged filter's count is read through the partial index of flagged entries (a
    few among millions), also with a busy reader's day among its alternatives: the
    index's condition is the filter's, so PostgreSQL may use it. (Sequential scans are
    switched off: on a test's few rows a scan is cheapest anyway. The page, newest
    first, walks the sequence numbers back until it has its rows.)"""
    from bokvar.models import User

    settings.AUDIT_DAILY_READ_THRESHOLD = 1 if busy else 100
    reader = User.objects.create(username="reader").pk
    log = Log()
    log.add(reader, [1, 2], at=timezone.now() - timedelta(days=2))
    log.save()
    qs = review_entries(LogFilters(flagged=True))
    sql, params = qs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT COUNT(*) FROM (" + sql + ") counted", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "accesslog_flagged" in plan, plan
    assert ("accesslog_user" in plan) == busy, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_the_steps_go_through_the_readers_days_index(settings):
    """The stepping statement's day is written as the index's expression (TruncDate in
    the installation's time zone): were they to differ, PostgreSQL would step through
    every row of the reader's day instead, silently."""
    from django.test.utils import CaptureQueriesContext

    log = Log()
    log.add(1, [1, 2, 3])
    log.add(2, [1, 2])
    log.save()
    with CaptureQueriesContext(connection) as queries:
        busy_pairs({(1, DAY.date()), (2, DAY.date())})
    (statement,) = [q["sql"] for q in queries.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The first person and each next one: both through the index, by its conditions.
    assert plan.count("Index Scan using accesslog_reader_days") == 2, plan
    assert "(person_id > seen.person_id))" in plan, plan
    assert "Seq Scan on audit_accesslogentry" not in plan, plan


def test_no_day_before_the_logs_first_is_remembered(settings):
    settings.AUDIT_DAILY_READ_THRESHOLD = 1
    log = Log()
    log.add(1, [1, 2])
    log.save()
    # A period from year 1: the days from the log's first day on (three of them).
    end = DAY.date() + timedelta(days=2)
    assert busy_in_period(date(1, 1, 1), end) == {(1, DAY.date())}
    assert sorted(day for day, _threshold in review._FINISHED) == [
        DAY.date() + timedelta(days=n) for n in range(3)
    ]
