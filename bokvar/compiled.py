"""What the statements kept compiled across requests share (issue 22): the case page's
lists (`cases.core.selectors.rows`), its case (`cases.core.selectors.kept`) and the
statistics' cost forecast (`housing.forecast`). Each compiles a queryset once and runs
its text again with new parameters; these are the rules they keep alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.core.signals import setting_changed
from django.db import connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import FlatValuesListIterable, ValuesListIterable
from django.utils import timezone

from .lookups import OneId
from .models import User


@contextmanager
def reads_watched() -> Iterator[list[str]]:
    """The statements run, on any of this thread's connections, while something to keep
    is built: a statement whose building read the database is not kept, since that
    read's answer would be frozen in its text (and a statistics report whose making
    wrote anything is not kept either, `steering.snapshots`)."""
    reads: list[str] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        reads.append(sql)
        return execute(sql, params, many, context)

    with ExitStack() as stack:
        for db in connections.all():
            stack.enter_context(db.execute_wrapper(watch))
        yield reads


def convert_row(
    values: list[Any],
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...],
    db: Any,
) -> list[Any]:
    """`values` with the compiler's converters applied in place, as the ORM's iterables
    do: (position, converters, expression) of each column that has any."""
    for pos, convs, expression in converters:
        value = values[pos]
        for convert in convs:
            value = convert(value, expression, db)
        values[pos] = value
    return values


def value_rows(
    db: Any,
    sql: str,
    params: Any,
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...],
) -> list[tuple[Any, ...]]:
    """Run a kept `values_list` statement: its rows as tuples, the compiler's converters
    applied, as `values_list` gives them."""
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if not converters:
        return [tuple(row) for row in found]
    return [tuple(convert_row(list(row), converters, db)) for row in found]


def reader_key(user: Any, db: str) -> tuple[Any, ...] | None:
    """What the text of a statement of the reader's permission filters depends on: the
    reader, their account's flags, their roles as loaded for this request (a new
    membership gives a new key), the database and the day. None: not a signed-in user,
    keep nothing."""
    from .selectors import roles_of  # the selectors keep their statements here

    if not isinstance(user, User):
        return None
    return (
        db,
        user.pk,
        user.is_active,
        user.is_superuser,
        roles_of(user),
        timezone.localdate(),
    )


# No id is negative: the stand-in for the ids while a `KeptIdRows` statement is compiled.
_IDS_STAND_IN = -770_000_331


@dataclass(frozen=True)
class _IdRowsStatement:
    sql: str
    params: tuple[Any, ...]
    at: int  # where the array of ids (or the one id) goes in `params`
    # (position, converters, expression) of each column that has converters
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


class KeptStatements:
    """A process's statements kept by key, for the kept reads here and in
    `cases.core.selectors.kept`: at most `most` (all forgotten when full), all forgotten
    on any settings change (tests)."""

    def __init__(self, most: int = 2000) -> None:
        self.statements: dict[Any, Any] = {}
        self.most = most
        setting_changed.connect(self._forget, weak=False)

    def _forget(self, **kwargs: object) -> None:
        self.statements.clear()

    def keep(self, key: Any, statement: Any) -> None:
        if len(self.statements) >= self.most:
            self.statements.clear()
        self.statements[key] = statement


class KeptIdRows(KeptStatements):
    """The rows of `build(ids)`, a `values_list` queryset that filters on `…__any=ids`,
    by its statement compiled once per database (issue 22), or once per database and
    key where each call gives its own `key` and `build` (a reader's permission filter:
    `reader_key`; such statements are bounded as `KeptStatements` are).

    On PostgreSQL `__any` sends the ids as one array parameter (bokvar.lookups), so the
    statement's text does not depend on them nor on their number: it is built and
    compiled once, and each call runs the kept text with its ids (the rows are always
    read as they are now). The rows are tuples in the queryset's order of fields, with
    the compiler's converters applied, as `values_list` gives them. Elsewhere (SQLite
    writes one placeholder per id), for a queryset in another form and for a key of
    None, the ORM's own way. As for every kept statement, one whose building read the
    database is not kept.
    """

    def __init__(
        self,
        model: type[Model],
        build: Callable[[list[int]], QuerySet[Any, Any]] | None = None,
        most: int = 2000,
    ):
        super().__init__(most)
        self.model = model
        self.build = build

    def rows(
        self,
        ids: Iterable[int],
        *,
        key: Any = (),
        build: Callable[[list[int]], QuerySet[Any, Any]] | None = None,
    ) -> list[tuple[Any, ...]]:
        ids = list(ids)
        build = build or self.build
        assert build is not None, "a KeptIdRows made without `build` is given one each call"
        alias = router.db_for_read(self.model)
        db = connections[alias]
        if db.vendor != "postgresql" or key is None:
            return [tuple(row) for row in build(ids)]
        # One id (a user's roles, a page's case) is bound as a plain value: PostgreSQL
        # then keeps the statement's generic plan where it is as good, instead of
        # planning the statement with an array afresh on every run (0.20 ms of planning
        # beside 0.014 ms of execution for the roles, on every page; issue 22).
        one = len(ids) == 1
        stored = (alias, key, one)
        if stored in self.statements:
            statement = self.statements[stored]
        else:
            statement, reusable = self._compile(alias, build, one)
            if reusable:
                self.keep(stored, statement)
        if statement is None:
            return [tuple(row) for row in build(ids)]
        params = list(statement.params)
        params[statement.at] = ids[0] if one else ids
        return value_rows(db, statement.sql, params, statement.converters)

    def _compile(
        self, alias: str, build: Callable[[list[int]], QuerySet[Any, Any]], one: bool
    ) -> tuple[_IdRowsStatement | None, bool]:
        stand_in = OneId([_IDS_STAND_IN]) if one else [_IDS_STAND_IN]
        with reads_watched() as reads:
            qs: Any = build(stand_in)
            if qs.db != alias or qs._iterable_class is not ValuesListIterable:
                return None, True
            if not _in_values_list_order(qs):
                return None, True
            compiler = qs.query.get_compiler(using=alias)
            sql, params = compiler.as_sql()
        bound = _IDS_STAND_IN if one else [_IDS_STAND_IN]
        at = [i for i, value in enumerate(params) if value == bound]
        if len(at) != 1:
            return None, True
        statement = _IdRowsStatement(
            sql=sql, params=tuple(params), at=at[0], converters=_converters(compiler)
        )
        return statement, not reads


def _in_values_list_order(qs: Any) -> bool:
    """Whether the statement's columns come in `values_list`'s own order, as
    ValuesListIterable reads them: a queryset whose rows it would reorder is run the
    ORM's way."""
    query = qs.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    fields = [*qs._fields, *(f for f in query.annotation_select if f not in qs._fields)]
    return fields == names and not query.extra_select


def _converters(compiler: Any) -> tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]:
    found = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    return tuple((pos, tuple(convs), expression) for pos, (convs, expression) in found.items())


@dataclass(frozen=True)
class _ValuesStatement:
    alias: str
    sql: str
    params: tuple[Any, ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


class KeptValues(KeptStatements):
    """The rows of `build()`, a `values_list` queryset whose text and parameters depend
    on the key alone (a select's options for a reader), compiled once per key and run
    afresh on every call: the rows as they are now, as tuples with the compiler's
    converters applied, as `values_list` gives them. A queryset in another form runs the
    ORM's way; one whose building read the database is run but not kept."""

    def rows(self, key: Any, build: Callable[[], QuerySet[Any, Any]]) -> list[tuple[Any, ...]]:
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            with reads_watched() as reads:
                qs: Any = build()
                if qs._iterable_class is not ValuesListIterable or not _in_values_list_order(qs):
                    return [tuple(row) for row in qs]
                compiler = qs.query.get_compiler(using=qs.db)
                try:
                    sql, params = compiler.as_sql()
                except EmptyResultSet:  # nothing can match: no query, as the ORM
                    return []
            statement = _ValuesStatement(qs.db, sql, tuple(params), _converters(compiler))
            if key is not None and not reads:
                self.keep(key, statement)
        db = connections[statement.alias]
        return value_rows(db, statement.sql, statement.params, statement.converters)


@dataclass(frozen=True)
class _BoundStatement:
    alias: str
    sql: str
    params: tuple[Any, ...]
    # For each stand-in, where its value goes in `params` (each at least once).
    places: tuple[tuple[int, ...], ...]
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]


class KeptBound(KeptStatements):
    """The rows of `build(*values)`, a `values_list` queryset (flat or not, a `UNION` of
    them too), by a statement compiled once per key with `stand_ins` in the values'
    places, and run with each call's `values` bound there: the text is kept, the rows
    are read as they are now, as tuples with the compiler's converters applied.

    Each stand-in is a value no call gives (a list of a negative id for an array of ids,
    a date long past for a moment) and must reach the statement's parameters unchanged,
    at least once; where one does not (the ORM turned it into something else), or the
    queryset is in another form, or its building read the database, the ORM's own way.
    On PostgreSQL only: elsewhere a list of ids is one placeholder per id."""

    def rows(
        self,
        key: Any,
        build: Callable[..., QuerySet[Any, Any]],
        values: tuple[Any, ...],
        stand_ins: tuple[Any, ...],
    ) -> list[tuple[Any, ...]]:
        statement = self.statements.get(key) if key is not None else None
        if statement is None:
            statement, reusable = self._compile(build, stand_ins)
            if statement is None:
                return [row if isinstance(row, tuple) else (row,) for row in build(*values)]
            if key is not None and reusable:
                self.keep(key, statement)
        params = list(statement.params)
        for value, places in zip(values, statement.places, strict=True):
            for at in places:
                params[at] = value
        return value_rows(connections[statement.alias], statement.sql, params, statement.converters)

    def _compile(
        self, build: Callable[..., QuerySet[Any, Any]], stand_ins: tuple[Any, ...]
    ) -> tuple[_BoundStatement | None, bool]:
        with reads_watched() as reads:
            qs: Any = build(*stand_ins)
            if connections[qs.db].vendor != "postgresql":
                return None, False
            if qs._iterable_class not in (ValuesListIterable, FlatValuesListIterable):
                return None, False
            compiler = qs.query.get_compiler(using=qs.db)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                return None, False
        places = tuple(
            tuple(
                i
                for i, param in enumerate(params)
                if type(param) is type(stand_in) and param == stand_in
            )
            for stand_in in stand_ins
        )
        if not all(places):
            return None, False
        statement = _BoundStatement(
            alias=qs.db,
            sql=sql,
            params=tuple(params),
            places=places,
            converters=_converters(compiler),
        )
        return statement, not reads
