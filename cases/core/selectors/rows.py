"""Many lists of one case's rows in one query.

A case page shows a dozen lists (threats, deadlines, contacts, handovers, the
household...). Each is a `CaseRows`: a queryset of the case's rows and the relations it
reads with them (`select_related`). `CaseRows.for_page` reads one list once per request
(`per_request.once`); `read_together` reads many in ONE query, each list an array of
JSON objects beside the case's row, made back into model instances exactly as the
ORM makes them (encrypted values decrypted by their field, numbers and dates parsed), and
keeps them for the request: the sections that ask after it find them read (issue 22,
point 2)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from functools import cache, partial
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.signals import setting_changed
from django.db import connection, connections
from django.db.models import (
    DateTimeField,
    DecimalField,
    Expression,
    F,
    Func,
    JSONField,
    Model,
    OuterRef,
    QuerySet,
)
from django.db.models.functions import JSONObject
from django.utils import timezone

from bokvar.compiled import reader_key, reads_watched
from bokvar.prepared import generic_plan, texts_written

from ...models import Case
from .per_request import once

# `of(name)`: the case's column `name` ("pk", "household_id"): its value when a list is
# read alone, a reference to the case's row when read with the others; `of(name, depth)`
# for a subquery `depth` levels inside the list's own query (depth 1: the list's query).
Of = Callable[..., Any]


def _value_of(case: Case) -> Of:
    def of(name: str, depth: int = 1) -> Any:
        if name == "pk":
            return case.pk
        value: Any = case
        for part in name.split("__"):  # "responsible_unit__district_id"
            value = getattr(value, part)
        return value

    return of


def _reference(name: str, depth: int = 1) -> Any:
    ref: Any = OuterRef(name)
    for _ in range(depth - 1):
        ref = OuterRef(ref)
    return ref


@dataclass(frozen=True)
class CaseRows:
    key: str
    rows: Callable[[Any, Of], QuerySet[Any, Any]]  # (request, of) -> the ordered rows
    related: tuple[str, ...] = ()  # select_related paths ("author", "threat__case")
    # A list the page shows a few columns of: read as tuples of these paths' values
    # (`values_list`: "night", "shelter__name"), not instances. Making an instance of a
    # row and of each related row was most of reading the case page's lists (issue 22).
    values: tuple[str, ...] = ()

    def read(self, request: Any, case: Case) -> list[Any]:
        rows = self.rows(request, _value_of(case))
        if self.values:
            return list(rows.values_list(*self.values))
        return list(rows.select_related(*self.related))

    def for_page(self, request: Any, case: Case) -> list[Any]:
        """The list, read once per request (or already read by `read_together`)."""
        return once(request, (self.key, case.pk), lambda: self.read(request, case))


def read_together(request: Any, case: Case, lists: Iterable[CaseRows]) -> None:
    """Read `lists` in one query and keep them for the request (`CaseRows.for_page`)."""
    lists = [rows for rows in lists]
    if not lists:
        return
    if connection.vendor != "postgresql":
        # The one query needs PostgreSQL's arrays of JSON rows (ArraySubquery, to_jsonb).
        # The embedded default (SQLite, `make run`) reads each list on its own: a query
        # per list, still none per item, and the same rows.
        for rows in lists:
            rows.for_page(request, case)
        return
    key = _statement_key(request, lists)
    statement = _STATEMENTS.get(key) if key is not None else None
    if statement is None:
        statement, reusable = _compile(request, lists)
        if key is not None and reusable:
            if len(_STATEMENTS) >= _MAX_STATEMENTS:
                _STATEMENTS.clear()
            _STATEMENTS[key] = statement
    found = statement.run(case.pk)
    for i, (rows, (model, names)) in enumerate(zip(lists, statement.lists, strict=True)):
        values = found[f"list_{i}"] or []
        if rows.values:
            fields = _value_fields(model, rows.values)
            made = [
                tuple(_python(f, value.get(f"v{j}")) for j, f in enumerate(fields))
                for value in values
            ]
        else:
            # One instance per related row of the list (a list's nights share their
            # shelter), as prefetch_related shares them; the page only reads them.
            tree: dict[str, Any] = _tree(rows.related)
            shared: dict[tuple[Any, ...], Any] = {}
            made = [_instance(model, value, tree, names, shared) for value in values]
        once(request, (rows.key, case.pk), _kept(made))


# The one statement of a page's lists, compiled, per reader: building and compiling the
# lists' querysets was two thirds of the case page's CPU (issue 22: ArraySubquery of two
# dozen querysets, each resolved and compiled by the ORM on every page). The statement
# runs on every page, so the rows are always those of the moment; only its text and its
# parameters are kept, with a stand-in where the case's id goes. The text is a function
# of what it is keyed by: the lists, the reader, their roles as loaded for this request
# (memberships change the key), their account's flags and the day (the year's nights and
# costs). A statement whose building read anything from the database is not kept (the
# read's answer would be frozen in it): `_compile` watches for that. Any change of
# settings (tests) empties it. Bounded (`_MAX_STATEMENTS`); per process.
_STATEMENTS: dict[tuple[Any, ...], _Statement] = {}
# A statement is about 12 kB of text (city scale, 22 lists): at most about 6 MB a process.
_MAX_STATEMENTS = 500
# Stands for the case's id while the statement is compiled: no id is negative.
_CASE_ID = -770_000_227


def _forget_statements(**kwargs: object) -> None:
    _STATEMENTS.clear()


setting_changed.connect(_forget_statements)


@dataclass(frozen=True)
class _Statement:
    db: str  # the database the page reads the case from (bokvar.db_router)
    sql: str
    params: tuple[Any, ...]
    case_at: tuple[int, ...]  # where the case's id goes in `params`
    # (name, the field whose `from_db_value` makes the column's value) per column
    columns: tuple[tuple[str, Any], ...]
    lists: tuple[tuple[type[Model], tuple[str, ...]], ...]  # (model, annotations) per list

    def run(self, case_id: int) -> dict[str, Any]:
        params = list(self.params)
        for i in self.case_at:
            params[i] = case_id
        # On its generic plan: PostgreSQL planned the page's 12 kB statement afresh on
        # every page (1.3 ms of planning beside 2.4 ms of execution at city scale, issue
        # 22, the twentieth round). Each list is read by keys (the case's, its
        # household's, the reader's), which a generic plan probes as a custom one does;
        # measured at city and national scale, it read fewer buffers than the custom.
        with connections[self.db].cursor() as cursor:
            with generic_plan(cursor, self.db):
                cursor.execute(self.sql, params)
            row = cursor.fetchone()  # after the block: one round trip (generic_plan)
        if row is None:
            raise Case.DoesNotExist
        found = {}
        for (name, field), value in zip(self.columns, row, strict=True):
            convert = getattr(field, "from_db_value", None)
            found[name] = value if convert is None else convert(value, None, connections[self.db])
        return found


def _statement_key(request: Any, lists: list[CaseRows]) -> tuple[Any, ...] | None:
    reader = reader_key(getattr(request, "user", None), Case.objects.all().db)
    return None if reader is None else (tuple(lists), *reader)


def _compile(request: Any, lists: list[CaseRows]) -> tuple[_Statement, bool]:
    """The statement of `lists` for the request's reader, and whether it may be kept:
    its building read nothing from the database and the case's id is one parameter."""
    with reads_watched() as reads:
        querysets = [rows.rows(request, _reference) for rows in lists]
        arrays = {}
        for i, (rows, qs) in enumerate(zip(lists, querysets, strict=True)):
            if rows.values:
                row = JSONObject(**{f"v{j}": F(path) for j, path in enumerate(rows.values)})
            else:
                row = _json(
                    qs.model, "", rows.related, annotations=list(qs.query.annotation_select)
                )
            # Each list one JSON array (`to_jsonb` of the array of rows): decoded by one
            # `json.loads`, where an array of JSON values was decoded value by value (a
            # quarter of running the statement, 44 rows of the bench's case, issue 22).
            arrays[f"list_{i}"] = Func(
                ArraySubquery(qs.values(row=row)), function="to_jsonb", output_field=JSONField()
            )
        query = Case.objects.filter(pk=_CASE_ID).values(**arrays)
        compiler = query.query.get_compiler(using=query.db)
        sql, params = compiler.as_sql()
    # The lists' JSON keys written into the text (`texts_written`): 91 of 109 parameters.
    sql, params, _positions = texts_written(query.db, sql, params)
    at = [i for i, value in enumerate(params) if type(value) is int and value == _CASE_ID]
    statement = _Statement(
        db=query.db,
        sql=sql,
        params=tuple(params),
        case_at=tuple(at),
        columns=tuple((alias, expr.output_field) for expr, _sql, alias in compiler.select),
        lists=tuple((qs.model, tuple(qs.query.annotation_select)) for qs in querysets),
    )
    return statement, not reads and len(at) == 1


def _kept(made: list[Any]) -> Callable[[], list[Any]]:
    return lambda: made


def json_of(model: type[Model]) -> JSONObject:
    """A row of `model` as one JSON object (for a subquery that reads a whole row)."""
    return _json(model, "", ())


def instance_from_json(model: type[Model], value: dict[str, Any] | None) -> Any:
    """The instance of a row read by `json_of` (None for none)."""
    return None if value is None else _instance(model, value, {})


def _tree(paths: Iterable[str]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path in paths:
        node = tree
        for part in path.split("__"):
            node = node.setdefault(part, {})
    return tree


class _WholeRow(Expression):
    """`to_jsonb(<table>)`: the whole row of the table a column is read from, as one JSON
    object keyed by column. One expression a table, where naming each column would cost
    the ORM thousands of expressions to compile for a page's lists."""

    output_field = JSONField()

    def __init__(self, column: Any, model: type[Model]) -> None:
        super().__init__()
        self.column = column
        self.model = model

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.column)  # '"U0"."id"': the table's alias first
        return f"to_jsonb({sql.rsplit('.', 1)[0]})", tuple(params)

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        # SQLite has no row-to-JSON: name each column (the embedded default only).
        sql, params = compiler.compile(self.column)
        table = sql.rsplit(".", 1)[0]
        quote = connection.ops.quote_name
        pairs = ", ".join(
            f"'{f.column}', {table}.{quote(f.column)}" for f in self.model._meta.concrete_fields
        )
        return f"json_object({pairs})", tuple(params)


def _json(
    model: type[Model], prefix: str, related: Iterable[str], annotations: Iterable[str] = ()
) -> JSONObject:
    """A row of `model` (reached by `prefix`) and its `related` rows as one JSON object
    ("_row": the columns), with the queryset's `annotations`."""
    columns: dict[str, Any] = {name: F(name) for name in annotations}
    # A column other than the key, so that a related row is joined (a key is read from
    # the referring row's foreign key, without the join).
    column = (
        "pk"
        if not prefix
        else next(f.attname for f in model._meta.concrete_fields if not f.primary_key)
    )
    columns["_row"] = _WholeRow(F(prefix + column), model)
    for name, below in _tree(related).items():
        target: Any = model._meta.get_field(name).related_model
        columns[name] = _json(target, f"{prefix}{name}__", _paths(below))
    return JSONObject(**columns)


def _paths(tree: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for name, below in tree.items():
        out.append(prefix + name)
        out.extend(_paths(below, f"{prefix}{name}__"))
    return out


@cache
def _value_fields(model: type[Model], paths: tuple[str, ...]) -> tuple[Any, ...]:
    """The field each of `paths` ends at ("shelter__name": the shelter's name)."""
    fields = []
    for path in paths:
        target: Any = model
        *through, last = path.split("__")
        for name in through:
            target = target._meta.get_field(name).related_model
        fields.append(target._meta.get_field(last))
    return tuple(fields)


def _instance(
    model: type[Model],
    value: dict[str, Any],
    tree: dict[str, Any],
    annotations: Iterable[str] = (),
    shared: dict[tuple[Any, ...], Any] | None = None,
) -> Any:
    """The instance the ORM would have made of the row (`Model.from_db`), with its
    related instances cached as `select_related` caches them and its annotations set.
    With `shared`, a related row met before (by model and key) is the same instance."""
    attnames, columns = _plan(model)
    row = value.get("_row") or {}
    values = []
    for column, kind, convert in columns:
        found = row.get(column)
        if found is not None and type(found) is not kind:
            found = convert(found)
        values.append(found)
    obj = model.from_db(connection.alias, attnames, values)
    for name in annotations:
        setattr(obj, name, value.get(name))
    for name, below in tree.items():
        field: Any = model._meta.get_field(name)  # a forward relation (select_related)
        related: Any = value.get(name)
        target: Any = field.related_model
        key = None if related is None else (related.get("_row") or {}).get(target._meta.pk.column)
        if key is None:
            field.set_cached_value(obj, None)
        elif shared is None:
            field.set_cached_value(obj, _instance(target, related, below))
        else:
            # What is read with the related row (`below`) is part of what is shared.
            at = (target, key, repr(below) if below else "")
            made = shared.get(at)
            if made is None:
                made = shared[at] = _instance(target, related, below, (), shared)
            field.set_cached_value(obj, made)
    return obj


# What never needs converting: a JSON value of this type is already what the field's
# `to_python` gives back unchanged (text of a text column, a whole number of an integer
# or key column, a boolean).
_ALREADY = {
    "CharField": str,
    "TextField": str,
    "SlugField": str,
    "EmailField": str,
    "URLField": str,
    "IntegerField": int,
    "BigIntegerField": int,
    "SmallIntegerField": int,
    "PositiveIntegerField": int,
    "PositiveBigIntegerField": int,
    "PositiveSmallIntegerField": int,
    "AutoField": int,
    "BigAutoField": int,
    "SmallAutoField": int,
    "BooleanField": bool,
}


@cache
def _plan(
    model: type[Model],
) -> tuple[list[str], tuple[tuple[str | None, type | None, Callable[[Any], Any]], ...]]:
    """`model`'s attribute names in `from_db`'s order, and per column: its name in the
    JSON row, the type of a value that is already the field's (None: every value is
    converted) and the conversion (`_python`). Deciding per value which conversion a
    field needs was a tenth of the case page's CPU (issue 22); it depends on the field
    alone. Only the built-in fields Django itself defines are taken as "already": a
    field of a subclass (the encrypted ones) is always converted."""
    fields = model._meta.concrete_fields
    columns = tuple((f.column, _already(f), partial(_python, f)) for f in fields)
    return [f.attname for f in fields], columns


def _already(field: Any) -> type | None:
    target = field.target_field if field.is_relation else field
    if hasattr(field, "from_db_value") or not type(target).__module__.startswith("django.db."):
        return None
    return _ALREADY.get(type(target).__name__)


def _python(field: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, DecimalField):
        # A JSON number comes as a float: its shortest form is the stored decimal (at most
        # 15 digits), at the column's scale as the database gives it.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return number.quantize(Decimal(1).scaleb(-field.decimal_places))
    if hasattr(field, "from_db_value"):  # the encrypted fields decrypt here
        return field.from_db_value(value, None, connection)
    found = field.to_python(value)
    if isinstance(field, DateTimeField) and found is not None and timezone.is_naive(found):
        # SQLite's JSON has the stored UTC text without its offset.
        found = timezone.make_aware(found, UTC)
    return found
