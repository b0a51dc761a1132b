"""Binding the encrypted values that predate issue 17 (point 3) to their rows.

The migrations that add ``row_key`` give every existing row the zero UUID; this then,
table by table and batch by batch (each committed on its own), gives each row a random
key, the same for the row and all of its history rows, and re-seals the row's values
for their place. A run that stops is resumed by running it again (``migrate`` again):
only rows still holding the zero key are read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.apps.registry import Apps
from django.db import connection, models, transaction

from . import crypto
from .fields import column, encrypted_fields, place_of, report_tampering

UNBOUND_ROW_KEY = uuid.UUID(int=0)
BATCH = 1000


def _rebind(stored: str | None, place: str, new_key: str) -> str | None:
    if not stored:
        return stored
    if crypto.is_unbound(stored):
        plain = crypto.decrypt_unbound(stored)
    else:
        # Written by the new code into a row not yet given its key: sealed for the
        # zero key, which it now leaves.
        try:
            opened = crypto.decrypt(stored, place=place)
        except crypto.UnknownKeyError:
            raise
        except crypto.DecryptionError:
            opened = None
        if opened is None or opened.row_key != UNBOUND_ROW_KEY.hex:
            # Not this row's: left as it is, for check_encryption to name; a moved value
            # must not stop the migration.
            report_tampering(place, "?", "sealed elsewhere, left as it is by the migration")
            return stored
        plain = str(opened)
    return crypto.encrypt(plain, place=place, row_key=new_key)


def _uuid_for_db(model: type[models.Model]) -> Any:
    """A UUID as the database takes it (uuid on PostgreSQL, hex text on SQLite)."""
    field = model._meta.get_field("row_key")
    assert isinstance(field, models.UUIDField)
    return lambda value: field.get_db_prep_value(value, connection)


def _history_model(apps: Apps, model: type[models.Model]) -> type[models.Model] | None:
    try:
        return apps.get_model(model._meta.app_label, f"historical{model._meta.model_name}")
    except LookupError:
        return None


def _reseal_rows(model: type[models.Model], key_column: str, keys: dict[Any, uuid.UUID]) -> None:
    """Give the rows whose `key_column` (the id) is in `keys` their key, values re-sealed."""
    qn = connection.ops.quote_name
    fields = encrypted_fields(model)
    table, pk = qn(model._meta.db_table), qn(column(model._meta.pk))
    cols = [qn(column(f)) for f in fields]
    places = [place_of(f) for f in fields]
    ids = list(keys)
    as_db = _uuid_for_db(model)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {qn(key_column)}, {', '.join(cols)} FROM {table}"  # noqa: S608
            f" WHERE row_key = %s AND {qn(key_column)} IN ({', '.join(['%s'] * len(ids))})",
            [as_db(UNBOUND_ROW_KEY), *ids],
        )
        updates = []
        for row_pk, row_id, *values in cursor.fetchall():
            key = keys[row_id]
            new = [_rebind(v, p, key.hex) for v, p in zip(values, places, strict=True)]
            updates.append([as_db(key), *new, row_pk])
        assignments = ", ".join(["row_key = %s", *(f"{c} = %s" for c in cols)])
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = %s", updates)  # noqa: S608


def _pending_ids(model: type[models.Model], id_column: str) -> Iterable[list[Any]]:
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT {qn(id_column)} FROM {table} WHERE row_key = %s"  # noqa: S608
                f" ORDER BY 1 LIMIT {BATCH}",
                [_uuid_for_db(model)(UNBOUND_ROW_KEY)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if not ids:
            return
        yield ids


def bind_app(apps: Apps, app_label: str) -> int:
    """Bind every unbound row of `app_label`'s models and their history; returns rows."""
    done = 0
    for model in apps.get_app_config(app_label).get_models():
        if not encrypted_fields(model) or str(model._meta.model_name).startswith("historical"):
            continue
        history = _history_model(apps, model)
        pk_column = column(model._meta.pk)
        for ids in _pending_ids(model, pk_column):
            with transaction.atomic():
                keys = {i: uuid.uuid4() for i in ids}
                _reseal_rows(model, pk_column, keys)
                if history is not None:
                    _reseal_rows(history, pk_column, keys)
            done += len(ids)
        if history is not None:
            # History of rows deleted since: one key per recorded row.
            for ids in _pending_ids(history, pk_column):
                with transaction.atomic():
                    _reseal_rows(history, pk_column, {i: uuid.uuid4() for i in ids})
                done += len(ids)
    return done


def migration_operation(app_label: str) -> Any:
    from django.db import migrations

    def forwards(apps: Apps, schema_editor: Any) -> None:
        bind_app(apps, app_label)

    return migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)
