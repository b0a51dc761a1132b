"""The auditor's review of the access log: filters and the flags that ask a second look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from bokvar.models import Unit

from .models import AccessLogEntry, How
from .registry import case_ids_of_person, registry, subjects

FLAG_LABELS = {
    "denied": _("Refused: tried to open what the user may not see"),
    "outside_unit": _("Outside own unit without a handover"),
    "protected": _("Protected identity"),
    "many": _("Unusually many people opened that day"),
    "role_change": _("Role or membership changed: check it was approved"),
    "break_glass": _("Break-glass superuser used"),
}
# Entries flagged by what they are, not by a read's circumstances.
FLAGGED_HOW: dict[str, str] = {How.ADMIN: "role_change", How.SUPERUSER: "break_glass"}


@dataclass(frozen=True)
class LogFilters:
    start: date | None = None
    end: date | None = None
    unit_id: int | None = None
    how: str = ""
    user_id: int | None = None
    person_id: int | None = None
    case_id: int | None = None
    flagged: bool = False
    # Flagged reads no auditor has marked as reviewed yet.
    awaiting_review: bool = False


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _in_period(qs: QuerySet, start: date | None, end: date | None) -> QuerySet:
    if start:
        qs = qs.filter(at__gte=_day_start(start))
    if end:
        qs = qs.filter(at__lt=_day_start(end) + timedelta(days=1))
    return qs


def busy_days(qs: QuerySet) -> set[tuple[int, date]]:
    """(user, day) pairs on which the user opened more distinct people than the
    threshold, over every read of the user that day (not only those the other filters
    keep). Rows of a list page are not openings, and opening one person ten times is
    one person."""
    counts = (
        qs.exclude(how=How.LIST)
        .exclude(person_id=None)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("user_id", "day")
        .annotate(n=Count("person_id", distinct=True))
        .filter(n__gt=settings.AUDIT_DAILY_READ_THRESHOLD)
    )
    return {(c["user_id"], c["day"]) for c in counts}


# The busy readers of each day that is over, by (day, threshold), kept in this process:
# every entry is dated when it is appended (audit.chain; no caller gives `at`), the log
# is append-only and retention never removes its entries, so once a day is over its
# openings never change. The flagged filter over the whole log counted every opening of
# every day on every request (1.9 s at national scale, issue 22); now only the days not
# yet counted by this process, and today. A day counts as over a few minutes after
# midnight: an entry dated 23:59:59 may be committed a moment later.
_FINISHED: dict[tuple[date, int], frozenset[int]] = {}
_SETTLED = timedelta(minutes=5)


def forget_finished_days() -> None:
    """Empty the memory of days that are over (tests write entries dated in the past)."""
    _FINISHED.clear()


def busy_in_period(
    start: date | None, end: date | None, *, user_id: int | None = None
) -> set[tuple[int, date]]:
    """`busy_days` over the whole log in a period (either end open), optionally of one
    reader: the days that are over from this process's memory (`_FINISHED`), counted
    once, in one query for all those not yet counted; the rest as it is now."""
    threshold = settings.AUDIT_DAILY_READ_THRESHOLD
    settled = (timezone.localtime() - _SETTLED).date()  # days before this one are over
    first = AccessLogEntry.objects.order_by("at").values_list("at", flat=True).first()
    # No day before the log's first is remembered (a period from year 1 would be
    # 740,000 of them). An empty log is read as one whose first day is today: the same
    # queries as any other (a page's queries do not change with the data).
    start = max(start or date.min, settled if first is None else timezone.localdate(first))
    last_over = (
        settled - timedelta(days=1) if end is None else min(end, settled - timedelta(days=1))
    )
    over = [start + timedelta(days=n) for n in range((last_over - start).days + 1)]
    missing = [day for day in over if (day, threshold) not in _FINISHED]
    if missing:
        counted: dict[date, set[int]] = {day: set() for day in missing}
        for reader, day in busy_days(
            _in_period(AccessLogEntry.objects.all(), missing[0], missing[-1])
        ):
            if day in counted:
                counted[day].add(reader)
        for day, readers in counted.items():
            _FINISHED[(day, threshold)] = frozenset(readers)
    busy = {(reader, day) for day in over for reader in _FINISHED[(day, threshold)]}
    if end is None or end >= settled:
        busy |= busy_days(_in_period(AccessLogEntry.objects.all(), max(start, settled), end))
    if user_id is not None:
        busy = {pair for pair in busy if pair[0] == user_id}
    return busy


def busy_pairs(pairs: set[tuple[int, date]]) -> set[tuple[int, date]]:
    """Which of these (user, day) pairs are busy, as `busy_days` decides it, in one
    statement however many rows the readers wrote: a reader who opened 50,000 people in
    a day (an account gone wrong, or the load test's) had every one of their openings
    counted each time the auditor's page showed one of their entries (247 ms a page,
    issue 22). On PostgreSQL the statement steps from one person a reader opened that
    day to the next (`_steps`), at most one step past the threshold."""
    if not pairs:
        return set()
    ordered = sorted(pairs)
    alias = AccessLogEntry.objects.all().db
    threshold = settings.AUDIT_DAILY_READ_THRESHOLD
    if connections[alias].vendor != "postgresql":
        return _busy_pairs_probed(ordered, alias, threshold)
    table = connections[alias].ops.quote_name(AccessLogEntry._meta.db_table)
    chosen = ", ".join(["(%s, %s::bigint, %s::date)"] * len(ordered))
    params: list[Any] = [threshold]
    for n, (user_id, day) in enumerate(ordered):
        params += [n, user_id, day]
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT pair.n, {_steps(table)} FROM (VALUES {chosen}) AS pair(n, user_id, day)",  # noqa: S608
            params,
        )
        found = dict(cursor.fetchall())
    return {pair for n, pair in enumerate(ordered) if found[n] > threshold}


def _steps(table: str) -> str:
    """The people `pair.user_id` opened on `pair.day`, counted up to one past the
    threshold (its one parameter) by stepping through the index `accesslog_reader_days`
    (the reader, the day, the person): each step one descent to the next person, so a
    reader who opened the same few people thousands of times costs as little as one who
    opened them once. The day's expression is the index's, as Django writes
    `TruncDate` in the installation's time zone."""
    zone = str(timezone.get_current_timezone()).replace("'", "''")
    opened = (
        f"e.user_id = pair.user_id AND (e.at AT TIME ZONE '{zone}')::date = pair.day"
        f" AND NOT (e.how = '{How.LIST.value}') AND e.person_id IS NOT NULL"
    )
    return (
        "(WITH RECURSIVE seen(person_id, k) AS ("  # noqa: S608 - the model's table and constants
        f"(SELECT e.person_id, 1 FROM {table} e WHERE {opened} ORDER BY e.person_id LIMIT 1)"
        " UNION ALL SELECT ("
        f"SELECT e.person_id FROM {table} e WHERE {opened} AND e.person_id > seen.person_id"
        " ORDER BY e.person_id LIMIT 1), seen.k + 1"
        " FROM seen WHERE seen.person_id IS NOT NULL AND seen.k <= %s"
        ") SELECT COUNT(seen.person_id) FROM seen)"
    )


# How many of a reader's openings of a day the embedded default (SQLite) reads at most
# to decide the flag, as a multiple of the threshold: more than the threshold of distinct
# people among the first openings decides it.
PROBE_FACTOR = 4


def probe_size() -> int:
    return PROBE_FACTOR * (settings.AUDIT_DAILY_READ_THRESHOLD + 1)


def _busy_pairs_probed(
    ordered: list[tuple[int, date]], alias: str, threshold: int
) -> set[tuple[int, date]]:
    """`busy_pairs` on SQLite (the embedded default, a small office's log): the first
    `probe_size()` openings of each pair in one statement, and an exact count only for
    pairs whose first openings were all of at most the threshold of people and that
    have more (opening the same few people over and over)."""
    size = probe_size()
    ops = connections[alias].ops
    adapt = ops.adapt_datetimefield_value
    table = ops.quote_name(AccessLogEntry._meta.db_table)
    first = (
        f"SELECT e.person_id FROM {table} e WHERE e.user_id = pair.user_id"  # noqa: S608
        " AND e.at >= pair.day_start AND e.at < pair.day_end"
        f" AND NOT (e.how = '{How.LIST.value}') AND e.person_id IS NOT NULL"
        " ORDER BY e.at LIMIT %s"
    )
    # A scalar subquery returns one value: the openings read (at most `size`) and the
    # distinct people among them, as `rows + (size + 1) * people`.
    probe = f"(SELECT COUNT(*) + %s * COUNT(DISTINCT o.person_id) FROM ({first}) o)"  # noqa: S608
    chosen = " UNION ALL ".join(
        ["SELECT %s AS n, %s AS user_id, %s AS day_start, %s AS day_end"] * len(ordered)
    )
    params: list[Any] = [size + 1, size]
    for n, (user_id, day) in enumerate(ordered):
        start = _day_start(day)
        params += [n, user_id, adapt(start), adapt(start + timedelta(days=1))]
    with connections[alias].cursor() as cursor:
        # Numbered: the rows of a UNION ALL come in no promised order.
        cursor.execute(f"SELECT pair.n, {probe} FROM ({chosen}) pair", params)  # noqa: S608
        found = dict(cursor.fetchall())
    busy: set[tuple[int, date]] = set()
    undecided: list[tuple[int, date]] = []
    for n, pair in enumerate(ordered):
        people, rows = divmod(int(found[n]), size + 1)
        if people > threshold:
            busy.add(pair)
        elif rows == size:
            undecided.append(pair)
    if undecided:
        exact = Q()
        for user_id, day in undecided:
            start = _day_start(day)
            exact |= Q(user_id=user_id, at__gte=start, at__lt=start + timedelta(days=1))
        busy |= busy_days(AccessLogEntry.objects.filter(exact)) & set(undecided)
    return busy


def entries(filters: LogFilters) -> QuerySet[AccessLogEntry]:
    qs = _in_period(
        AccessLogEntry.objects.select_related("user", "review__reviewed_by"),
        filters.start,
        filters.end,
    )
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.how:
        qs = qs.filter(how=filters.how)
    if filters.user_id:
        qs = qs.filter(user_id=filters.user_id)
    if filters.person_id:
        cases = case_ids_of_person(filters.person_id)
        qs = qs.filter(Q(person_id=filters.person_id) | Q(case_id__in=cases))
    if filters.case_id:
        qs = qs.filter(case_id=filters.case_id)
    if filters.flagged or filters.awaiting_review:
        # Exactly the flags `flag` shows: denied, protected, outside without a handover,
        # many.
        flagged = (
            Q(denied=True)
            | Q(protected=True)
            | Q(outside_unit=True, via_handover=False)
            | Q(how__in=list(FLAGGED_HOW))
        )
        for user_id, day in sorted(
            busy_in_period(filters.start, filters.end, user_id=filters.user_id)
        ):
            start = _day_start(day)
            flagged |= Q(user_id=user_id, at__gte=start, at__lt=start + timedelta(days=1))
        qs = qs.filter(flagged)
        if filters.awaiting_review:
            qs = qs.filter(review__isnull=True)
    return qs.order_by("-seq")


@dataclass(frozen=True)
class ReviewRow:
    entry: AccessLogEntry
    flags: tuple[str, ...]

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[f]) for f in self.flags]


def flag(page: list[AccessLogEntry]) -> list[ReviewRow]:
    """Flags for one page of entries: a constant number of queries whatever its size.
    Outside one's units and through a handover or not were decided at read time."""
    busy = busy_pairs({(e.user_id, timezone.localdate(e.at)) for e in page})
    rows = []
    for e in page:
        flags = []
        if e.how in FLAGGED_HOW:
            flags.append(FLAGGED_HOW[e.how])
        if e.denied:
            flags.append("denied")
        if e.outside_unit and not e.via_handover:
            flags.append("outside_unit")
        if e.protected:
            flags.append("protected")
        if (e.user_id, timezone.localdate(e.at)) in busy:
            flags.append("many")
        rows.append(ReviewRow(entry=e, flags=tuple(flags)))
    return rows


@dataclass(frozen=True)
class NamedRow:
    """A reviewed row as the auditor reads it: who read, what kind of record, whose, which
    case and unit, by name and number rather than by id."""

    row: ReviewRow
    reader: str
    record: str
    person: str
    case: str
    unit: str
    how: str = ""  # how it was read, by name (`get_how_display`)

    @property
    def entry(self) -> AccessLogEntry:
        return self.row.entry

    @property
    def flags(self) -> tuple[str, ...]:
        return self.row.flags

    @property
    def flag_labels(self) -> list[str]:
        return self.row.flag_labels


def named(rows: list[ReviewRow], auditor) -> list[NamedRow]:
    """Names for one page of rows, in a constant number of queries: the units at once,
    and the people and cases through the domain's registered `names_for_auditor` (which
    never names a person whose identity is protected from the auditor)."""
    entries = [r.entry for r in rows]
    people, numbers = subjects().names_for_auditor(
        auditor,
        {e.person_id for e in entries if e.person_id},
        {e.case_id for e in entries if e.case_id},
    )
    units = Unit.objects.in_bulk({e.unit_id for e in entries if e.unit_id})
    # Each kind's name translated once a page: `get_how_display` translated every kind
    # for every row (issue 22: a tenth of the page's templates).
    hows = {value: str(label) for value, label in How.choices}
    out = []
    for r in rows:
        e = r.entry
        reg = registry.models.get(e.object_type)
        person = ""
        if e.person_id:
            person = people.get(e.person_id) or str(_("(protected identity)"))
        reader = (e.user.get_full_name() or e.user.username) if e.user else str(e.user_id)
        out.append(
            NamedRow(
                row=r,
                reader=reader,
                record=capfirst(str(reg.model._meta.verbose_name)) if reg else e.object_type,
                person=person,
                case=numbers.get(e.case_id, "") if e.case_id else "",
                unit=str(units[e.unit_id]) if e.unit_id in units else "",
                how=hows.get(e.how, e.how),
            )
        )
    return out
