"""Insert many rows at once, with their history rows, through PostgreSQL's COPY.

`bulk_create_with_history` sends INSERTs with every value as a bound parameter and
reads the keys back; for imports of a hundred thousand shelter nights, and for the
benchmark data generator, COPY is several times faster. Values go through each field's
`get_db_prep_save`, so encrypted fields are encrypted exactly as on `save()`. Other
databases (SQLite in development) take the ordinary bulk path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from psycopg.types.json import Jsonb
from simple_history.utils import bulk_create_with_history

from .fields import ROW_KEY, EncryptedTextField, column
from .history import history_of

COPY_BATCH = 10_000

M = TypeVar("M", bound=models.Model)


class Attribution(TypedDict):
    """Who and why for the history rows of an insert, to pass on as `**attribution`."""

    user_id: int | None
    reason: str


# One column's value as COPY sends it, or None for "the attribute's value as it is".
Prepare = Callable[[Any], Any] | None


def _has_history(model: type[models.Model]) -> bool:
    return hasattr(model, "history") and hasattr(model.history, "model")


def insert(
    model: type[M],
    objs: Sequence[M],
    *,
    user_id: int | None = None,
    reason: str = "",
    history: bool | None = None,
) -> Sequence[M]:
    """Insert `objs`, set their primary keys, and write one '+' history row each when
    the model keeps history (attributed to `user_id`, with `reason`)."""
    if not objs:
        return objs
    history = _has_history(model) if history is None else history
    if connection.vendor != "postgresql":
        if history:
            from bokvar.models import User

            user = User(pk=user_id) if user_id is not None else None
            created: list[M] = bulk_create_with_history(
                objs, model, batch_size=5000, default_user=user, default_change_reason=reason
            )
            return created
        return model._default_manager.bulk_create(objs, batch_size=5000)
    now = timezone.now()
    for start in range(0, len(objs), COPY_BATCH):
        chunk = objs[start : start + COPY_BATCH]
        missing = [obj for obj in chunk if obj.pk is None]
        for obj, pk in zip(missing, _reserve_ids(model, len(missing)), strict=True):
            obj.pk = pk
        for field in _auto_now_fields(model):
            for obj in chunk:
                setattr(obj, field.attname, now)
        rows = _copy_values(model, [obj.__dict__ for obj in chunk], now=now)
        for obj in chunk:
            obj._state.adding = False
            obj._state.db = connection.alias
        if history:
            _copy_history(model, rows, user_id=user_id, reason=reason)
    return objs


def insert_values(
    model: type[models.Model],
    values: Sequence[dict[str, Any]],
    *,
    user_id: int | None = None,
    reason: str = "",
    history: bool | None = None,
) -> int:
    """Like `insert`, from dicts of attribute values (`person_id`, not `person`), for
    imports large enough that building model instances is a cost of its own. Fields
    left out get their defaults. Returns the number of rows inserted."""
    if not values:
        return 0
    if connection.vendor != "postgresql":
        insert(model, [model(**v) for v in values], user_id=user_id, reason=reason, history=history)
        return len(values)
    history = _has_history(model) if history is None else history
    defaults = {
        f.attname: f.get_default
        for f in model._meta.local_concrete_fields
        if not f.primary_key and f.has_default()
    }
    now = timezone.now()
    pk = model._meta.pk.attname
    for start in range(0, len(values), COPY_BATCH):
        chunk = [dict(v) for v in values[start : start + COPY_BATCH]]
        missing = [v for v in chunk if v.get(pk) is None]
        for v, new_pk in zip(missing, _reserve_ids(model, len(missing)), strict=True):
            v[pk] = new_pk
        for v in chunk:
            for name, default in defaults.items():
                if name not in v:
                    v[name] = default()
        rows = _copy_values(model, chunk, now=now)
        if history:
            _copy_history(model, rows, user_id=user_id, reason=reason)
    return len(values)


def _reserve_ids(model: type[models.Model], count: int) -> list[int]:
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _auto_now_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.local_concrete_fields
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    ]


# Field classes (exact types, so subclasses such as EncryptedTextField are not among
# them) whose database value is the Python value itself on PostgreSQL: calling
# get_db_prep_save for each of them costs more than the COPY. Datetimes must be aware,
# as everywhere in Bo Kvar (USE_TZ).
_AS_IS = (
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.DateField,
    models.DateTimeField,
    models.DecimalField,
    models.ForeignKey,
)


def _copy_values(
    model: type[models.Model], values: Sequence[dict[str, Any]], *, now: datetime
) -> list[tuple[Any, ...]]:
    """COPY one batch of attribute dicts (primary keys already set); returns the rows
    as sent, database values, for the history rows."""
    conn = connections[DEFAULT_DB_ALIAS]
    fields = list(model._meta.local_concrete_fields)
    sealed = [f for f in fields if isinstance(f, EncryptedTextField)]
    if sealed:
        # Sealed for their row (its row key), as pre_save does on save(); copies, so
        # that the caller's instances keep their plaintext.
        values = [
            {**v, **{f.attname: f.seal(v.get(f.attname), v.get(ROW_KEY)) for f in sealed}}
            for v in values
        ]
    auto_now = {f.attname for f in _auto_now_fields(model)}
    plan: list[tuple[str, Prepare]] = []
    for f in fields:
        if f.attname in auto_now:
            plan.append((f.attname, _constant(now)))
        elif type(f) in _AS_IS:
            plan.append((f.attname, None))
        elif isinstance(f, models.JSONField):
            plan.append((f.attname, _json_text(f, conn)))
        else:
            plan.append((f.attname, _db_value(f, conn)))
    rows = [
        tuple(v[name] if prepare is None else prepare(v.get(name)) for name, prepare in plan)
        for v in values
    ]
    copy_rows(model._meta.db_table, [column(f) for f in fields], rows)
    return rows


def _constant(value: Any) -> Callable[[Any], Any]:
    return lambda _value: value


def _db_value(field: models.Field[Any, Any], conn: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    return lambda value: field.get_db_prep_save(value, conn)


def _json_text(field: models.JSONField, conn: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    """The JSON text of a JSONField's value, made once: the field's database value is
    psycopg's `Jsonb` wrapper, which COPY would dump again for the history row's copy of
    the same value (a month's statistics are tens of kilobytes). The text is the wrapper's
    own dump (the field's encoder); COPY's text format gives PostgreSQL the same jsonb."""

    def text(value: Any) -> Any:
        adapted = field.get_db_prep_save(value, conn)
        if isinstance(adapted, Jsonb):
            return (adapted.dumps or json.dumps)(adapted.obj)
        return adapted

    return text


def _copy_history(
    model: type[models.Model], rows: list[tuple[Any, ...]], *, user_id: int | None, reason: str
) -> None:
    history_model = history_of(model).model
    own = [f.column for f in model._meta.local_concrete_fields]
    position = {column: i for i, column in enumerate(own)}
    columns: list[str] = []
    picks: list[int | str] = []
    now = timezone.now()
    extra = {
        "history_date": now,
        "history_type": "+",
        "history_user_id": user_id,
        "history_change_reason": reason,
    }
    for field in history_model._meta.local_concrete_fields:
        if field.primary_key:
            continue  # history_id comes from its sequence
        if field.column in position:
            columns.append(field.column)
            picks.append(position[field.column])
        elif field.attname in extra:
            columns.append(field.column)
            picks.append(field.attname)
        else:
            raise ValueError(f"{history_model.__name__}.{field.name}: no value for history")
    history_rows = (
        tuple(row[p] if isinstance(p, int) else extra[p] for p in picks) for row in rows
    )
    copy_rows(history_model._meta.db_table, columns, history_rows)


def copy_rows(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
