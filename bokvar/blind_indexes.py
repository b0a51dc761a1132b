"""Rebuilding blind indexes under the current key, without downtime (issue 17, point 4).

The apps register each blind-index column: its model, the purpose its derived key is
for, and how to get the indexed text from a row (decrypted, so a value moved into the
row is not indexed). `rebuild` then moves every index to the first configured key,
purpose by purpose, in committed batches, and resumes where it stopped (only values not
yet under the first key are read).

While it runs, every search and the uniqueness check look for all configured keys'
forms (`crypto.blind_indexes`), so a row is found whether or not it was rebuilt yet,
and the unique constraint covers the form being written. An old form is replaced by
its new one in every column of the purpose in the same transaction, so two rows that
agreed (a landlord's signal about a registered person) still agree after each batch.
History tables hold no blind index (each model excludes them from its history).

Token indexes (search by part of a name) are rows, one per word, not a column: the row
does not say which word it indexes, so an old form cannot be mapped to its new one.
They are registered as `IndexedTokens` and rebuilt per owner row: the owner's tokens
are written anew from its decrypted values, in the same committed batches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from . import crypto
from .fields import Tampered, column


@dataclass(frozen=True)
class IndexedColumn:
    model: str  # "app_label.ModelName"
    column: str  # the blind-index field
    purpose: str  # whose derived key (crypto.blind_index)
    # The text to index from a row (None: the row has nothing to index), and the
    # fields that needs loaded.
    text: Callable[[Any], str | None]
    loads: tuple[str, ...]

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)


_REGISTERED: list[IndexedColumn] = []


def register(*columns: IndexedColumn) -> None:
    for c in columns:
        if c not in _REGISTERED:
            _REGISTERED.append(c)


def registered() -> list[IndexedColumn]:
    return list(_REGISTERED)


@dataclass(frozen=True)
class IndexedTokens:
    owner: str  # "app_label.ModelName" of the row the tokens are taken from
    token_model: str  # "app_label.ModelName" of the token rows
    owner_field: str  # the token rows' foreign key to the owner
    column: str  # the token rows' blind-index field
    loads: tuple[str, ...]  # the owner's fields the tokens are made from
    # Replaces the owner's token rows with its tokens under the first key.
    write: Callable[[Any], None]

    @property
    def name(self) -> str:
        return f"{self.token_model}.{self.column}"


_REGISTERED_TOKENS: list[IndexedTokens] = []


def register_tokens(*token_sets: IndexedTokens) -> None:
    for t in token_sets:
        if t not in _REGISTERED_TOKENS:
            _REGISTERED_TOKENS.append(t)


def registered_tokens() -> list[IndexedTokens]:
    return list(_REGISTERED_TOKENS)


def pending_owners(tokens: IndexedTokens) -> models.QuerySet[Any]:
    """Owner rows with a token not yet under the first key."""
    current = f"{crypto.index_keyring().primary_id}{crypto.INDEX_SEPARATOR}"
    stale = (
        apps.get_model(tokens.token_model)
        ._default_manager.exclude(**{f"{tokens.column}__startswith": current})
        .values(f"{tokens.owner_field}_id")
    )
    owners: models.QuerySet[Any] = apps.get_model(tokens.owner)._default_manager.filter(
        pk__in=stale
    )
    return owners.order_by("pk")


@dataclass
class Result:
    rebuilt: int = 0
    withheld: list[str] = field(default_factory=list)  # "model#pk" of rows not indexable


def pending(col: IndexedColumn) -> models.QuerySet[Any]:
    """Rows whose index is not yet under the first key."""
    current = f"{crypto.index_keyring().primary_id}{crypto.INDEX_SEPARATOR}"
    return (
        col.model_class._default_manager.exclude(**{col.column: ""})
        .exclude(**{f"{col.column}__startswith": current})
        .order_by("pk")
    )


def after_batch_written() -> None:
    """Called inside each batch's transaction after its UPDATEs, before COMMIT: a seam
    for the test that proves no duplicate slips in meanwhile."""


def _replace(purpose_columns: list[IndexedColumn], mapping: dict[str, str]) -> None:
    """Old form -> new form, in every column of the purpose, in one statement each."""
    if not mapping:
        return
    qn = connection.ops.quote_name
    pairs = list(mapping.items())
    values = ", ".join(["(%s, %s)"] * len(pairs))
    params = [v for pair in pairs for v in pair]
    with connection.cursor() as cursor:
        for col in purpose_columns:
            model = col.model_class
            table = qn(model._meta.db_table)
            target = qn(column(model._meta.get_field(col.column)))  # type: ignore[arg-type]
            # The VALUES list's own column names (column1, column2 in PostgreSQL and in
            # SQLite): SQLite takes no column list after a derived table's alias.
            cursor.execute(
                f"UPDATE {table} SET {target} = m.new FROM (SELECT column1 AS old,"  # noqa: S608
                f" column2 AS new FROM (VALUES {values}) AS v) AS m"
                f" WHERE {table}.{target} = m.old",
                params,
            )


def rebuild(
    *, batch_size: int = 1000, progress: Callable[[str, int], None] | None = None
) -> Result:
    result = Result()
    by_purpose: dict[str, list[IndexedColumn]] = defaultdict(list)
    for col in registered():
        by_purpose[col.purpose].append(col)
    for purpose, columns in by_purpose.items():
        for col in columns:
            last_pk: Any = None
            while True:
                rows = pending(col).only("pk", "row_key", col.column, *col.loads)
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                batch = list(rows[:batch_size])
                if not batch:
                    break
                mapping: dict[str, str] = {}
                for obj in batch:
                    text = col.text(obj)
                    old = getattr(obj, col.column)
                    if text is None or any(
                        isinstance(getattr(obj, f), Tampered) for f in col.loads
                    ):
                        result.withheld.append(f"{col.model}#{obj.pk}")
                        continue
                    new = crypto.blind_index(text, purpose=purpose)
                    if new != old:
                        mapping[old] = new
                with transaction.atomic():
                    _replace(columns, mapping)
                    after_batch_written()
                result.rebuilt += len(mapping)
                last_pk = batch[-1].pk
                if progress:
                    progress(f"{col.model}.{col.column}", len(batch))
    for tokens in registered_tokens():
        _rebuild_tokens(tokens, batch_size, progress, result)
    return result


def _rebuild_tokens(
    tokens: IndexedTokens,
    batch_size: int,
    progress: Callable[[str, int], None] | None,
    result: Result,
) -> None:
    last_pk: Any = None
    while True:
        owners = pending_owners(tokens).only("pk", "row_key", *tokens.loads)
        if last_pk is not None:
            owners = owners.filter(pk__gt=last_pk)
        batch = list(owners[:batch_size])
        if not batch:
            return
        with transaction.atomic():
            for obj in batch:
                if any(isinstance(getattr(obj, f), Tampered) for f in tokens.loads):
                    result.withheld.append(f"{tokens.owner}#{obj.pk}")
                    continue
                tokens.write(obj)
                result.rebuilt += 1
            after_batch_written()
        last_pk = batch[-1].pk
        if progress:
            progress(tokens.name, len(batch))
