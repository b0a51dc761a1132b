"""One scan-and-notify job for every "tell someone when something falls due" rule.

Deadline reminders, handover escalation and the children-at-risk flag are all the same
job: find the rows that have fallen due, work out who must be told, and tell each of
them exactly once. A rule is a `Scan` of three small functions:

- `due(at)`: the due rows, in one query;
- `recipients(rows)`: everyone to tell, for all the rows at once, in a constant number of
  queries (the kernel's organisation queries, `bokvar.selectors`, answer "the unit's
  staff", "the district's coordinators" for many units or districts at once);
- `notices(rows, recipients, at)`: the notices, built without a query.

`run(scan, at=...)` does the rest, the same way for every rule (DESIGN §4, Background
work: the database is the source of truth):

1. Runs of one scan take turns (a PostgreSQL advisory transaction lock, `lock_key`;
   SQLite serialises writers itself), so of two concurrent runs the second sees the
   first one's notifications and reports 0 instead of counting them again.
2. A catch-up notice (`unless_told`) is dropped when its recipient was already told under
   the regular key: one query for all of them.
3. The notifications are created through `bokvar.notifications.notify_many`, keyed by
   `dedupe_key`: the database's unique (recipient, dedupe_key) constraint makes each
   notice exist once, however often, late or concurrently the task runs. A run that
   comes late sends everything that has fallen due since and was not sent yet.
4. Silent notices (`silent`: a less urgent notice made moot by one of the same run) are
   stored read and never e-mailed, so their keys are taken and they are never sent later.

The whole run is one transaction and costs the same number of queries whatever the
number of rows (tests assert it). Adding a rule means writing its three functions and a
Celery task that calls `run`; pick a `lock_key` not used below.

Advisory lock keys in use: 7_700_001 the access log (audit.chain), 7_700_004 deadline
reminders, 7_700_005 handover escalation, 7_700_006 children at risk of eviction,
7_700_151 the arrival digest of landlord signals and 7_700_152 the escalation of
untriaged signals (cases.evictions.services.signal_alerts).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation

from .models import Notification, User
from .notifications import SUPERSEDED, language_of, notify_many

Row = TypeVar("Row")
# What `recipients` files the users under (a district id, a case id, …).
Key = TypeVar("Key", bound=Hashable)
# The moment a run looks at: a date for day-based scans, a datetime for the others.
At = TypeVar("At")
# A due row read with `.values()`: plain columns by name, nothing decrypted.
ValuesRow = Mapping[str, Any]


@dataclass(frozen=True)
class Notice:
    """One notification to create. Subjects and bodies name case numbers, never people."""

    recipient: User
    kind: str
    dedupe_key: str
    subject: str
    body: str = ""
    url: str = ""
    # Kept as a read row that nobody is told of: the key is taken, the notice never sent.
    silent: bool = False
    # A catch-up notice: left out when the recipient was told under this key already.
    unless_told: str = ""


@dataclass(frozen=True)
class Scan(Generic[Row, Key, At]):
    name: str
    lock_key: int
    # at -> the due rows (one query).
    due: Callable[[At], Sequence[Row]]
    # rows -> {whatever the notices look recipients up by: [users]} (constant queries).
    recipients: Callable[[Sequence[Row]], Mapping[Key, list[User]]]
    # (rows, recipients, at) -> the notices (no queries).
    notices: Callable[[Sequence[Row], Mapping[Key, list[User]], At], Iterable[Notice]]


def run(scan: Scan[Any, Any, At], *, at: At) -> int:
    """Notify everything `scan` finds due at `at`; returns how many notifications this run
    created and will tell someone of (silent ones are not counted)."""
    with transaction.atomic():
        serialise(scan.lock_key)
        rows = scan.due(at)
        people = scan.recipients(rows) if rows else {}
        notices = _untold(_in_their_languages(scan, rows, people, at))
        now = timezone.now()
        loud = [_notification(n) for n in notices if not n.silent]
        silent = [_notification(n, read_at=now) for n in notices if n.silent]
        created = notify_many(loud)
        notify_many(silent, email=False)
    return len(created)


def _in_their_languages(
    scan: Scan[Any, Any, At], rows: Sequence[Any], people: Mapping[Any, list[User]], at: At
) -> list[Notice]:
    """Each notice written in its recipient's language: the notices are made once per
    language (no queries: `notices` only formats), each kept for the recipients who read
    that language."""
    out: list[Notice] = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            out += [
                n for n in scan.notices(rows, people, at) if language_of(n.recipient) == language
            ]
    return out


def serialise(lock_key: int) -> None:
    """Concurrent runs of one scan wait for each other until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key])


def _untold(notices: list[Notice]) -> list[Notice]:
    """Drop the catch-up notices whose recipient was told under the regular key (a silent
    row under that key told nobody, so it does not count). One query."""
    catch_up = [n for n in notices if n.unless_told]
    if not catch_up:
        return notices
    told = set(
        Notification.objects.filter(
            recipient_id__in={n.recipient.pk for n in catch_up},
            dedupe_key__in={n.unless_told for n in catch_up},
        )
        .exclude(kind=SUPERSEDED)
        .values_list("recipient_id", "dedupe_key")
    )
    return [n for n in notices if (n.recipient.pk, n.unless_told) not in told]


def _notification(notice: Notice, *, read_at: datetime | None = None) -> Notification:
    return Notification(
        recipient=notice.recipient,
        kind=SUPERSEDED if notice.silent else notice.kind,
        dedupe_key=notice.dedupe_key,
        subject=notice.subject,
        body=notice.body,
        url=notice.url,
        read_at=read_at,
    )
