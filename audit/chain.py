"""The access log's hash chain: appending (serialised) and verifying (streamed).

Each entry's hash is HMAC-SHA256, keyed with AUDIT_CHAIN_KEY, over a canonical
serialisation of its columns and the previous entry's hash. The key means somebody with
database access alone cannot forge a consistent chain after editing it."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bokvar.prepared import prepares

from .models import AccessLogEntry, ChainCheckpoint, ChainHead

GENESIS = "0" * 64
ADVISORY_LOCK_KEY = 7_700_001  # any constant unique to this lock
FIELDS = [
    "seq",
    "at",
    "user_id",
    "object_type",
    "object_id",
    "how",
    "ip",
    "person_id",
    "case_id",
    "unit_id",
    "protected",
    "outside_unit",
    "via_handover",
    "denied",
    "prev_hash",
    "hash",
]
# via_handover came after the first entries were written: it adds "|handover" to the end
# of the canonical text only when true, so every entry written before it (all false)
# keeps the text its hash was made over, and flipping it either way is still detected.
HANDOVER_SUFFIX = "|handover"
# `denied` came later still, the same way: "|denied" at the very end, only when true.
DENIED_SUFFIX = "|denied"


def _key() -> bytes:
    return settings.AUDIT_CHAIN_KEY.encode("utf-8")


def _canonical(
    seq,
    at,
    user_id,
    object_type,
    object_id,
    how,
    ip,
    person_id,
    case_id,
    unit_id,
    protected,
    outside_unit,
    via_handover,
    denied,
    prev_hash,
) -> bytes:
    # Hot path of verification (target 100,000 entries/s): plain str() of each value
    # (None and booleans included) and isoformat, which is several times faster than
    # strftime. Timestamps are UTC as written; a non-UTC one is converted first.
    if at.utcoffset():
        at = at.astimezone(UTC)
    return (
        f"{seq}|{at.isoformat(timespec='microseconds')}|{user_id}|{object_type}|{object_id}|"
        f"{how}|{ip}|{person_id}|{case_id}|{unit_id}|{protected}|{outside_unit}|{prev_hash}"
        f"{HANDOVER_SUFFIX if via_handover else ''}{DENIED_SUFFIX if denied else ''}"
    ).encode()


def entry_hash(*values) -> str:
    return hmac.digest(_key(), _canonical(*values), hashlib.sha256).hex()


def _normalised(values: dict) -> dict:
    """Values as they will read back from the database, so the hash matches then."""
    out = dict(values)
    for name in ("protected", "outside_unit", "via_handover", "denied"):
        out[name] = bool(out.get(name, False))
    out["ip"] = out.get("ip") or ""
    return out


def lock() -> None:
    """Serialise with appends until the end of the current transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
    else:
        ChainHead.objects.get_or_create(id=1)
        ChainHead.objects.select_for_update().get(id=1)


_timing_files: dict[str, int] = {}


def _write_timing(path: str, asked: float, got: float, rows: int, nested: bool) -> None:
    # One short line per append, written with O_APPEND: lines from several gunicorn
    # workers do not interleave. bench/load/run.py summarises the file.
    done = time.perf_counter()
    fd = _timing_files.get(path)
    if fd is None:
        fd = _timing_files[path] = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    line = (
        f"{time.time():.4f} {(got - asked) * 1000:.3f} {(done - got) * 1000:.3f} "
        f"{rows} {int(nested)}\n"
    )
    os.write(fd, line.encode())


def _lock_for(rows: int) -> None:
    """lock(), timed when AUDIT_TIMING_FILE is set (the load test, issue 22): how long
    the append waited for the lock, and how long it held it, which is until the
    outermost transaction's commit has flushed (hence on_commit)."""
    path = settings.AUDIT_TIMING_FILE
    if not path:
        lock()
        return
    asked = time.perf_counter()
    lock()
    got = time.perf_counter()
    # Inside a caller's transaction the lock is held until that transaction commits.
    nested = len(connection.atomic_blocks) > 1
    transaction.on_commit(lambda: _write_timing(path, asked, got, rows, nested))


def append(**values) -> AccessLogEntry:
    """Append one entry. Appends are serialised so sequence numbers have no gaps."""
    return _append([values])[0]


def append_many(rows: list[dict], *, saved: bool = True) -> list[AccessLogEntry]:
    """Append several entries (a list page) under one lock with one INSERT. Without
    `saved`, nothing comes back: a list page does not use its entries, and making an
    instance of each of the inbox's hundred was a tenth of the append (issue 22)."""
    if not rows:
        return []
    return _append(rows, saved)


def _append(rows: list[dict], saved: bool = True) -> list[AccessLogEntry]:
    if _on_its_own():
        return _append_in_two_round_trips(rows, saved)
    with transaction.atomic():
        _lock_for(len(rows))
        return _insert(_chained(rows, _last()), saved)


def _chained(rows: list[dict], last: tuple[int, str] | None) -> list[dict]:
    """The entries' rows, numbered and hashed on from the last entry."""
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    made = []
    for values in rows:
        seq += 1
        row = _row(values, seq, prev)
        prev = row["hash"]
        made.append(row)
    return made


def _on_its_own() -> bool:
    """Whether the append is a transaction of its own on PostgreSQL: no caller's
    transaction is open (a page's read, not a service's change)."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
    )


def _append_in_two_round_trips(rows: list[dict], saved: bool = True) -> list[AccessLogEntry]:
    """The append of a page's read, in two round trips to PostgreSQL where Django's
    transaction took five (BEGIN, the lock, the last entry, the INSERT, COMMIT): each
    round trip cost a page 0.1-0.3 ms, and every page that shows a case or a person
    appends (issue 22, docs/performance.md, the eighteenth round).

    The first is one simple query of three statements: BEGIN, the lock, the last entry.
    PostgreSQL gives each statement of a simple query its own snapshot (READ COMMITTED),
    so the last entry is read after the lock is held, as before: an append that waited
    for the lock sees the entry its predecessor committed. The second sends the INSERT
    and COMMIT together (psycopg's pipeline mode, where the connection prepares its
    statements; elsewhere one after the other). The transaction is the same as
    `transaction.atomic()` made it: on any failure it is rolled back and nothing is
    written, and the failure is raised, so the page is not shown."""
    path = settings.AUDIT_TIMING_FILE
    asked = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute(_locked_last_sql())
            cursor.nextset()  # BEGIN's result, then the lock's
            cursor.nextset()
            last = cursor.fetchone()
        got = time.perf_counter()
        made = _chained(rows, last)
        together = (
            connection.connection.pipeline()
            if prepares(connection.alias)
            else contextlib.nullcontext()
        )
        with connection.cursor() as inserting, connection.cursor() as committing:
            with connection.wrap_database_errors, together:
                inserting.execute(_insert_sql(saved, len(made) == 1), _insert_params(made))
                committing.execute("COMMIT")
            ids = inserting.fetchall() if saved else []  # in since the pipeline's sync
    except BaseException:
        _roll_back_own()
        raise
    if path:
        _write_timing(path, asked, got, len(rows), False)
    return _saved(made, ids) if saved else []


def _roll_back_own() -> None:
    """Roll back the append's own transaction after a failure, if it is still open (a
    connection that broke is closed by Django at the end of the request)."""
    from psycopg.pq import TransactionStatus  # PostgreSQL only

    raw = connection.connection
    if raw is None or raw.closed or raw.info.transaction_status == TransactionStatus.IDLE:
        return
    # The first failure is the one raised; a rollback that fails too adds nothing.
    with contextlib.suppress(Exception):
        raw.rollback()


@cache
def _locked_last_sql() -> str:
    table = connection.ops.quote_name(AccessLogEntry._meta.db_table)
    lock = f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})"
    return f"BEGIN; {lock}; SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1"  # noqa: S608 - the model's table


# What a caller must give, and what it may leave out (the model's defaults, filled in by
# `_normalised` and `_row`); the chain itself sets `seq`, `prev_hash` and `hash`.
_REQUIRED = {"user_id", "object_type", "object_id", "how"}
_GIVEN = set(FIELDS) - {"seq", "prev_hash", "hash"}


def _row(values: dict, seq: int, prev: str) -> dict:
    """An entry's columns (`FIELDS`) as the database will hold them, hashed: a plain
    dictionary, not a model instance (making an instance of each of a list page's
    entries before writing them was a fifth of the append's CPU, issue 22)."""
    row = _normalised(values)
    user = row.pop("user", None)
    if user is not None:
        row["user_id"] = user.pk
    if unknown := set(row) - _GIVEN:
        raise TypeError(f"an access-log entry has no {sorted(unknown)}")
    if missing := _REQUIRED - set(row):
        raise TypeError(f"an access-log entry needs {sorted(missing)}")
    if "at" not in row:
        row["at"] = timezone.now()
    for name in ("person_id", "case_id", "unit_id"):
        row.setdefault(name, None)
    row["seq"], row["prev_hash"] = seq, prev
    row["hash"] = entry_hash(*[row[f] for f in FIELDS[:-1]])
    return row


def _last() -> tuple[int, str] | None:
    """The last entry's sequence number and hash (under the lock)."""
    table = connection.ops.quote_name(AccessLogEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")  # noqa: S608 - the model's table
        return cursor.fetchone()


def _insert(rows: list[dict], saved: bool = True) -> list[AccessLogEntry]:
    """One INSERT of the entries, written as SQL: the ORM's `save()` and `bulk_create()`
    prepared and compiled each value of each entry, about a tenth of a list page's CPU
    (issue 22). Each column is one array parameter (`unnest`), so the statement's text
    is the same for any number of entries and the driver parses it once, not a
    placeholder per value on every page; the arrays go in binary format. The entries
    come back saved, with their ids, as the ORM reads them (`from_db`). AccessLogEntry
    has no signal receivers (bulk_create sent none either). SQLite (the embedded
    default) keeps `bulk_create`."""
    if connection.vendor != "postgresql":
        made = AccessLogEntry.objects.bulk_create([AccessLogEntry(**row) for row in rows])
        return made if saved else []
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(saved, len(rows) == 1), _insert_params(rows))
        if not saved:
            return []
        ids = cursor.fetchall()
    return _saved(rows, ids)


def _insert_params(rows: list[dict]) -> list[Any]:
    """The INSERT's parameters: for one entry its values (`_insert_sql(one=True)`), for
    several an array of each column's."""
    if len(rows) == 1:
        return [rows[0][f] for f in FIELDS]
    return [[row[f] for row in rows] for f in FIELDS]


def _saved(rows: list[dict], ids: list[tuple[int]]) -> list[AccessLogEntry]:
    """The entries as the ORM reads them back, with the ids the INSERT returned."""
    names = _attnames()
    return [
        AccessLogEntry.from_db(
            connection.alias, names, [pk if name == "id" else row[name] for name in names]
        )
        for row, (pk,) in zip(rows, ids, strict=True)
    ]


@cache
def _attnames() -> list[str]:
    """Every column of an entry, in the model's order (`from_db` then makes an instance
    from positional values, the ORM's own quick way)."""
    return [field.attname for field in AccessLogEntry._meta.concrete_fields]


@cache
def _insert_sql(returning: bool = True, one: bool = False) -> str:
    """`_insert`'s statement: the log's table and columns, each array cast to its
    column's type as the model declares it (PostgreSQL only); no value is in the text.
    `returning`: the new entries' ids come back."""
    meta = AccessLogEntry._meta
    fields = [field for field in meta.concrete_fields if field.attname in FIELDS]
    fields.sort(key=lambda field: FIELDS.index(field.attname))
    names = [field.column for field in fields if field.column]
    assert len(fields) == len(names) == len(FIELDS)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in names)
    # `%b`: each array sent in PostgreSQL's binary format. In text format psycopg quoted
    # every element of every array by a regular expression, 40 % of the statement's CPU
    # for a list page's twenty entries (issue 22); the values stored are the same.
    arrays = ", ".join(f"%b::{field.db_type(connection)}[]" for field in fields)
    rows = f"SELECT * FROM unnest({arrays})"  # noqa: S608 - casts of the model's own types
    if one:
        # One entry (a page's read, most appends): each value bound alone, in binary.
        # Dumping sixteen arrays of one element each cost the page a tenth of a
        # millisecond more than sixteen values (issue 22, the twenty-eighth round).
        rows = "VALUES (" + ", ".join(f"%b::{field.db_type(connection)}" for field in fields) + ")"
    return (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) {rows}"  # noqa: S608 - the model's own names
        + (f" RETURNING {quote(meta.pk.attname)}" if returning else "")
    )


@dataclass(frozen=True)
class Problem:
    # "altered", "inserted", "removed": seen in the chain itself;
    # "truncated", "rewritten", "checkpoint": seen against the exported signed heads;
    # "head": an exported head that is not genuine (seq is its line in the export).
    kind: str
    seq: int

    def __str__(self) -> str:
        if self.kind == "removed":
            return f"entry {self.seq} was removed (the chain breaks there)"
        if self.kind == "truncated":
            return (
                f"entries from {self.seq} on were removed "
                "(a signed head exported earlier reaches further)"
            )
        if self.kind == "rewritten":
            return (
                f"the chain up to entry {self.seq} was rewritten "
                "(it differs from the signed head exported for it)"
            )
        if self.kind == "checkpoint":
            return f"the checkpoint at entry {self.seq} was removed or moved"
        if self.kind == "head":
            return f"the exported head on line {self.seq} is not genuine (bad signature)"
        return f"entry {self.seq} was {self.kind}"


@dataclass(frozen=True)
class Verdict:
    checked: int
    problem: Problem | None
    # How many exported signed heads the database was compared with (None: no export).
    heads: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(chunk_size: int = 20_000) -> Verdict:
    """Walk the chain in order and report the first altered, inserted or removed entry.
    (audit.heads.verify adds the comparison with the exported signed heads.)"""
    checkpoint = ChainCheckpoint.objects.order_by("-seq").values_list("seq", "hash").first()
    verdict, last_seq, hash_at_checkpoint = _walk(chunk_size, checkpoint[0] if checkpoint else 0)
    if verdict.ok and checkpoint is not None:
        if last_seq < checkpoint[0]:
            # Entries up to the last verified one are gone from the end of the chain.
            return Verdict(verdict.checked, Problem("removed", last_seq + 1))
        if hash_at_checkpoint != checkpoint[1]:
            return Verdict(verdict.checked, Problem("altered", checkpoint[0]))
    return verdict


def save_checkpoint() -> None:
    """After a clean verification: remember where the chain ended."""
    last = AccessLogEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    if last and not ChainCheckpoint.objects.filter(seq__gte=last[0]).exists():
        ChainCheckpoint.objects.create(seq=last[0], hash=last[1])


# On PostgreSQL the canonical text of each entry is built by the database, in C, the
# same text `_canonical` builds: Python's str() of each value ('None' for NULL, 'True'
# and 'False' for booleans) and the UTC timestamp in isoformat with microseconds.
_CANONICAL_SQL = """
SELECT seq, prev_hash, hash, concat_ws('|',
    seq,
    to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
    coalesce(user_id::text, 'None'), object_type, object_id, how, ip,
    coalesce(person_id::text, 'None'), coalesce(case_id::text, 'None'),
    coalesce(unit_id::text, 'None'),
    CASE WHEN protected THEN 'True' ELSE 'False' END,
    CASE WHEN outside_unit THEN 'True' ELSE 'False' END,
    prev_hash) || CASE WHEN via_handover THEN '|handover' ELSE '' END
    || CASE WHEN denied THEN '|denied' ELSE '' END
FROM audit_accesslogentry ORDER BY seq
"""


def _rows(chunk_size: int):
    """(seq, prev_hash, hash, canonical bytes) for every entry, in order, streamed."""
    if connection.vendor == "postgresql":
        # A named (server-side) cursor streams the log without holding it in memory.
        with transaction.atomic(), connection.chunked_cursor() as cursor:
            cursor.cursor.itersize = chunk_size
            cursor.execute(_CANONICAL_SQL)
            for seq, prev_hash, hash_, text in cursor:
                yield seq, prev_hash, hash_, text.encode()
        return
    rows = (
        AccessLogEntry.objects.order_by("seq").values_list(*FIELDS).iterator(chunk_size=chunk_size)
    )
    for row in rows:
        yield row[0], row[14], row[15], _canonical(*row[:15])


def _walk(chunk_size: int, checkpoint_seq: int):
    key = _key()
    digest = hashlib.sha256
    with closing(_rows(chunk_size)) as rows:
        return _check(rows, key, digest, checkpoint_seq)


def _check(rows, key, digest, checkpoint_seq: int):
    expected_seq, good_hash = 1, GENESIS
    checked = 0
    at_checkpoint = None
    pending = None  # a row whose own hash failed, waiting for the next row to classify it
    for seq, prev_hash, hash_, canonical in rows:
        checked += 1
        if pending is not None:
            # The next row still chains to the entry before the bad one: the bad one was
            # slipped in. Otherwise an original entry was changed.
            kind = "inserted" if prev_hash == good_hash else "altered"
            return Verdict(checked, Problem(kind, pending)), 0, None
        if seq != expected_seq:
            return Verdict(checked, Problem("removed", expected_seq)), 0, None
        valid = hmac.digest(key, canonical, digest).hex() == hash_
        if not valid:
            pending = seq
            continue
        if prev_hash != good_hash:
            # Sound itself but not chained to its predecessor: something between is gone.
            return Verdict(checked, Problem("removed", seq - 1 if seq > 1 else seq)), 0, None
        if seq == checkpoint_seq:
            at_checkpoint = hash_
        expected_seq, good_hash = seq + 1, hash_
    if pending is not None:
        return Verdict(checked, Problem("altered", pending)), 0, None
    return Verdict(checked, None), expected_seq - 1, at_checkpoint
