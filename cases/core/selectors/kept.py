"""One row by its id, or a list, by a statement compiled once (issue 22).

The case page reads its case with the reader's permission filters (visible, writable,
hidden household members): building and compiling that queryset was a third of the
page's CPU, on every page, for a statement whose text depends only on the reader.
`KeptFirst` compiles `QuerySet.first()` of such a queryset once, with a stand-in where
the row's id goes, and runs the kept text with the id of each page: the row is always
read as it is now, only the statement's text is kept. Its rows become instances exactly
as the ORM's `ModelIterable` makes them (the same `from_db`, converters and
`select_related` populators, and the annotations as attributes).

`KeptAll` does the same for a list of instances whose text and parameters depend on
the key alone (My deadlines, the triage queue, the inbox, a page of the case list):
compiled once per key, run afresh on every call.

As for the case page's lists (`rows._compile`): a statement whose building read
anything from the database is not kept (that read's answer would be frozen in its
text), nor one where the stand-in is not exactly one parameter (none, for a list). The
caller keys the statements by everything their text depends on."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from bokvar.compiled import KeptStatements, convert_row, reads_watched
from bokvar.prepared import generic_plan, pipelined

# No id is negative.
STAND_IN = -770_000_229


@dataclass(frozen=True)
class _Statement:
    db: str
    sql: str
    params: tuple[Any, ...]
    at: int | None  # where the id goes in `params` (None: a list with no stand-in)
    model: type[Model]
    init_list: tuple[str, ...]
    start: int
    end: int
    populators: tuple[Any, ...]
    annotations: tuple[tuple[str, int], ...]
    # (position, converters, expression) of each column that has converters
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]
    # (position in `params`, which of the bound values goes there): `KeptAll.all_bound`
    binds: tuple[tuple[int, int], ...] = ()

    def bound(self, values: tuple[Any, ...]) -> list[Any]:
        params = list(self.params)
        for position, which in self.binds:
            params[position] = values[which]
        return params

    def first(self, pk: int, *, generic: bool = False) -> Any:
        params = list(self.params)
        if self.at is not None:
            params[self.at] = pk
        db = connections[self.db]
        with db.cursor() as cursor:
            with generic_plan(cursor, self.db) if generic else nullcontext():
                cursor.execute(self.sql, params)
            found = cursor.fetchone()  # after the block: one round trip (generic_plan)
        return None if found is None else self._instance(found, db)

    def all(
        self,
        *,
        generic: bool = False,
        pk: int | None = None,
        values: tuple[Any, ...] = (),
        then: Callable[[], object] | None = None,
    ) -> list[Any]:
        """`then`: what to send after the statement, in its round trip where it runs on
        its generic plan (`generic_plan`), else after it."""
        with connections[self.db].cursor() as cursor:
            with generic_plan(cursor, self.db, then=then) if generic else nullcontext():
                self.send(cursor, pk=pk, values=values)
            if then is not None and not generic:
                then()
            return self.received(cursor)  # after the block: one round trip (generic_plan)

    def send(self, cursor: Any, *, pk: int | None = None, values: tuple[Any, ...] = ()) -> None:
        params = self.bound(values)
        if self.at is not None:
            params[self.at] = pk
        cursor.execute(self.sql, params)

    def received(self, cursor: Any) -> list[Any]:
        """The rows `send` asked for on `cursor`, as instances."""
        db = connections[self.db]
        return [self._instance(row, db) for row in cursor.fetchall()]

    def _instance(self, found: Any, db: Any) -> Any:
        row = convert_row(list(found), self.converters, db)
        obj = self.model.from_db(self.db, list(self.init_list), row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, obj)
        for name, pos in self.annotations:
            setattr(obj, name, row[pos])
        return obj


class KeptFirst(KeptStatements):
    """`build(STAND_IN).first()`, compiled once per key (`KeptStatements`). `generic`:
    as `KeptAll`'s."""

    def __init__(self, most: int = 2000, *, generic: bool = False) -> None:
        super().__init__(most)
        self.generic = generic

    def first(self, key: Hashable | None, build: Callable[[int], QuerySet[Any]], pk: int) -> Any:
        """The first row of `build(pk)`, or None. `key`: everything the statement's text
        depends on besides the id (None: compile every time, keep nothing)."""
        statement = self._statement(key, build)
        if statement is None:  # not in a form this can run: the ORM's own way
            return build(pk).first()
        return statement.first(pk, generic=self.generic)

    def pending(self, key: Hashable | None, build: Callable[[int], QuerySet[Any]], pk: int) -> Read:
        """`first(key, build, pk)`, to read with others (`read_together`)."""
        return Read(
            self._statement(key, build), lambda: build(pk).first(), self.generic, pk, first=True
        )

    def _statement(
        self, key: Hashable | None, build: Callable[[int], QuerySet[Any]]
    ) -> _Statement | None:
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            statement, reusable = _compile(build)
            if statement is not None and key is not None and reusable:
                self.keep(key, statement)
        return statement


class KeptAll(KeptStatements):
    """The rows of `build()`, a queryset of instances whose text and parameters depend
    only on the key (the reader, for a list of theirs), compiled once per key (at most
    `most` a process, emptied on any settings change) and run afresh on every call: the
    rows are always those of the moment, made into instances as the ORM's
    `ModelIterable` makes them. A queryset in another form (prefetching, `values()`)
    runs the ORM's way, as does one whose building read the database.

    `generic`: run it with PostgreSQL's generic plan (`bokvar.prepared.generic_plan`),
    planned once a connection instead of on every run; for lists shown to be as fast on
    it for readers of every role (docs/performance.md)."""

    def __init__(self, most: int = 2000, *, generic: bool = False) -> None:
        super().__init__(most)
        self.generic = generic

    def all(
        self,
        key: Hashable | None,
        build: Callable[[], QuerySet[Any]],
        *,
        then: Callable[[], object] | None = None,
    ) -> list[Any]:
        """`then`: what to send to the database with the rows' statement, in its round
        trip where it runs on its generic plan (a `SentCount`'s `send`), else after it."""
        statement = self._statement(key, build)
        if statement is None:
            rows = list(build())
            if then is not None:
                then()
            return rows
        return statement.all(generic=self.generic, then=then)

    def pending(self, key: Hashable | None, build: Callable[[], QuerySet[Any]]) -> Read:
        """`all(key, build)`, to read with others (`read_together`)."""
        return Read(self._statement(key, build), lambda: list(build()), self.generic)

    def pending_of(
        self, key: Hashable | None, build: Callable[[int], QuerySet[Any]], pk: int
    ) -> Read:
        """`all_of(key, build, pk)`, to read with others (`read_together`)."""
        return Read(self._statement_of(key, build), lambda: list(build(pk)), self.generic, pk)

    def _statement(
        self, key: Hashable | None, build: Callable[[], QuerySet[Any]]
    ) -> _Statement | None:
        """`build()`'s statement, kept by `key`; None where it is in no form this runs."""
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            statement, reusable = _compile(lambda _pk: build(), first=False)
            if statement is not None and key is not None and reusable:
                self.keep(key, statement)
        return statement

    def all_bound(
        self,
        key: Hashable | None,
        build: Callable[[tuple[str, ...]], QuerySet[Any]],
        values: tuple[str, ...],
    ) -> list[Any]:
        """The rows of `build(values)`, by a statement compiled once per key with stand-ins
        where the values go (`stand_ins`): the key names everything else its text depends
        on, and none of the values, which are bound on each run (a search's blind
        indexes: the words searched are never kept)."""
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            statement, reusable = _compile(
                lambda _pk: build(stand_ins(len(values))), first=False, binds=len(values)
            )
            if statement is None:
                return list(build(values))
            if key is not None and reusable:
                self.keep(key, statement)
        return statement.all(generic=self.generic, values=values)

    def all_of(
        self, key: Hashable | None, build: Callable[[int], QuerySet[Any]], pk: int
    ) -> list[Any]:
        """The rows of `build(pk)`, a list of one row's own (a signal's repeats), by a
        statement compiled once per key with a stand-in where `pk` goes: the key names
        everything else its text depends on."""
        statement = self._statement_of(key, build)
        if statement is None:
            return list(build(pk))
        return statement.all(generic=self.generic, pk=pk)

    def _statement_of(
        self, key: Hashable | None, build: Callable[[int], QuerySet[Any]]
    ) -> _Statement | None:
        """`build(pk)`'s statement with a stand-in for `pk`, kept by `key`; None where it
        is in no form this runs."""
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            statement, reusable = _compile(build, first=False, with_id=True)
            if statement is not None and key is not None and reusable:
                self.keep(key, statement)
        return statement


@dataclass(frozen=True)
class Read:
    """One read for `read_together` (`KeptFirst.pending`, `KeptAll.pending`,
    `KeptAll.pending_of`): its kept statement (None: in no form this runs), how to read it
    alone instead, whether it runs on its generic plan, the id it is run with, and
    whether it gives its first row (or None) rather than its rows."""

    statement: _Statement | None
    alone: Callable[[], Any]
    generic: bool
    pk: int | None = None
    first: bool = False


def read_together(*reads: Read) -> list[Any]:
    """What each read gives (its rows, or its first row or None), the statements sent to
    the database together, in one round trip: those on their generic plans in one
    `generic_plan` block, the others after its reset (or, with none on a generic plan,
    in a pipeline of their own). A page's lists each took a round trip of their own: the
    handover inbox's two lists, the decision summary's threat and deadlines (issue 22,
    the twenty-ninth round). A read in no form this runs, or on another database than
    the first's, is read alone, after."""
    compiled = [(i, r.statement) for i, r in enumerate(reads) if r.statement is not None]
    out: dict[int, Any] = {}
    if compiled:
        alias = compiled[0][1].db
        sent = [(i, statement) for i, statement in compiled if statement.db == alias]
        db = connections[alias]
        with ExitStack() as stack:
            cursors = {i: stack.enter_context(db.cursor()) for i, _statement in sent}

            def send(generic: bool) -> None:
                for i, statement in sent:
                    if reads[i].generic == generic:
                        statement.send(cursors[i], pk=reads[i].pk)

            if any(reads[i].generic for i, _statement in sent):
                with generic_plan(cursors[sent[0][0]], alias, then=lambda: send(False)):
                    send(True)
            else:
                with pipelined(alias):
                    send(False)
            for i, statement in sent:
                rows = statement.received(cursors[i])
                out[i] = (rows[0] if rows else None) if reads[i].first else rows
    return [out[i] if i in out else read.alone() for i, read in enumerate(reads)]


def stand_ins(count: int) -> tuple[str, ...]:
    """Stand-ins for `count` bound values: no blind index, case number or other value a
    statement compares with looks so (a control character opens and closes each)."""
    return tuple(f"\x1fkept-stand-in-{n}\x1f" for n in range(count))


def _binds(params: list[Any], count: int) -> tuple[tuple[int, int], ...] | None:
    """Where each of `count` stand-ins is in `params` (each at least once: a statement
    may repeat a condition), or None when one is missing."""
    wanted = {value: n for n, value in enumerate(stand_ins(count))}
    found = tuple(
        (i, wanted[value])
        for i, value in enumerate(params)
        if type(value) is str and value in wanted
    )
    return found if {n for _i, n in found} == set(range(count)) else None


def _compile(
    build: Callable[[int], QuerySet[Any]],
    *,
    first: bool = True,
    with_id: bool = False,
    binds: int = 0,
) -> tuple[_Statement | None, bool]:
    """`with_id`: a list (not `first`) whose statement takes the stand-in, once.
    `binds`: the number of string stand-ins (`stand_ins`) the statement takes."""
    with reads_watched() as reads:
        qs: Any = build(STAND_IN)
        if qs._known_related_objects or qs._prefetch_related_lookups or qs._fields is not None:
            return None, False
        if first:
            qs = (qs if qs.ordered else qs.order_by("pk"))[:1]  # as `QuerySet.first()`
        compiler = qs.query.get_compiler(using=qs.db)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # `pk__in=[]` and the like: the ORM's own way, no query
            return None, False
    at = [i for i, value in enumerate(params) if type(value) is int and value == STAND_IN]
    if len(at) != (1 if first or with_id else 0):
        return None, False
    bound = _binds(list(params), binds) if binds else ()
    if bound is None:
        return None, False
    if compiler.has_extra_select or compiler.klass_info is None:
        return None, False
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])
    statement = _Statement(
        db=qs.db,
        sql=sql,
        params=tuple(params),
        at=at[0] if at else None,
        model=klass_info["model"],
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        start=start,
        end=end,
        # Django 5.2's signature (the stubs give a later version's `fetch_mode`).
        populators=tuple(get_related_populators(klass_info, select, qs.db)),  # type: ignore[call-arg]
        annotations=tuple(compiler.annotation_col_map.items()),
        converters=tuple(
            (pos, tuple(convs), expression) for pos, (convs, expression) in converters.items()
        ),
        binds=bound,
    )
    return statement, not reads


class KeptCount(KeptStatements):
    """The number of rows of `build()` (a queryset, sliced or not), by a statement
    compiled once per key and run afresh on every call: `SELECT COUNT(*)` over the
    queryset's own statement, as Django counts a sliced or combined queryset. A
    queryset that can match nothing counts 0 without a query, as Django's; one whose
    building read the database is counted but not kept."""

    def count_bound(
        self,
        key: Hashable | None,
        build: Callable[[tuple[str, ...]], QuerySet[Any]],
        values: tuple[str, ...],
    ) -> int:
        """`count` of `build(values)`, its statement compiled once per key with stand-ins
        where the values go (as `KeptAll.all_bound`)."""
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            with reads_watched() as reads:
                qs: Any = build(stand_ins(len(values)))
                try:
                    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
                except EmptyResultSet:
                    return 0
            binds = _binds(list(params), len(values))
            if binds is None:
                return build(values).count()
            counted = f"SELECT COUNT(*) FROM ({sql}) counted"  # noqa: S608
            statement = (qs.db, counted, tuple(params), binds)
            if key is not None and not reads:
                self.keep(key, statement)
        alias, sql, params, binds = statement
        bound = list(params)
        for position, which in binds:
            bound[position] = values[which]
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, bound)
            return int(cursor.fetchone()[0])

    def count(self, key: Hashable | None, build: Callable[[], QuerySet[Any]]) -> int:
        return self.to_send(key, build).value()

    def to_send(self, key: Hashable | None, build: Callable[[], QuerySet[Any]]) -> SentCount:
        """`count`'s statement, to send now or with another statement (`SentCount`)."""
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            with reads_watched() as reads:
                qs: Any = build()
                try:
                    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
                except EmptyResultSet:
                    return SentCount(None)
            # The ORM's own compiled text, its values bound: nothing is written into it.
            counted = f"SELECT COUNT(*) FROM ({sql}) counted"  # noqa: S608
            statement = (qs.db, counted, tuple(params))
            if key is not None and not reads:
                self.keep(key, statement)
        return SentCount(statement)


class SentCount:
    """A count's statement (`KeptCount.to_send`; None: a queryset that can match
    nothing, counted 0 without a query), sent by `send` (as `then` of a `KeptAll` list,
    in that list's round trip) and its number read by `value` (which sends it first if
    it was not)."""

    def __init__(self, statement: tuple[str, str, tuple[Any, ...]] | None) -> None:
        self._statement = statement
        self._cursor: Any = None

    def send(self) -> None:
        if self._statement is None or self._cursor is not None:
            return
        alias, sql, params = self._statement
        self._cursor = connections[alias].cursor()
        self._cursor.execute(sql, params)

    def value(self) -> int:
        if self._statement is None:
            return 0
        self.send()
        with self._cursor as cursor:
            return int(cursor.fetchone()[0])
