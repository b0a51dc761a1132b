"""Re-encrypt every encrypted value with the first configured key, history tables included.

Each batch commits on its own and only values not yet on the first key are read,
so an interrupted run is resumed simply by running the command again. Each value is
re-sealed for the place and row it is stored in; a value that does not belong there
(moved: tampering) is left as it is and counted, for `check_encryption` to name.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from tqdm import tqdm

from bokvar import crypto
from bokvar.fields import EncryptedTextField, column, encrypted_fields, place_of


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields (and their history) with the current primary key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be re-encrypted."
        )

    def handle(
        self, *args: Any, batch_size: int, dry_run: bool, verbosity: int, **options: Any
    ) -> None:
        prefix = f"{crypto.PREFIX}:{crypto.keyring().primary_id}:"
        grand_total = 0
        refused: list[int] = []
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            done = rotate_table(
                model,
                fields,
                prefix,
                batch_size=batch_size,
                dry_run=dry_run,
                progress=verbosity > 0,
                refused=refused,
            )
            grand_total += done
            if verbosity > 1 or (verbosity and done):
                self.stdout.write(f"{model._meta.db_table}: {done} rows")
        verb = "would be re-encrypted" if dry_run else "re-encrypted"
        self.stdout.write(
            self.style.SUCCESS(
                f"{grand_total} rows {verb} with key '{crypto.keyring().primary_id}'."
            )
        )
        if refused:
            raise CommandError(
                f"{len(refused)} values do not belong where they are stored and were left"
                " as they are (possible tampering): run check_encryption."
            )


def rotate_table(
    model: type[models.Model],
    fields: Sequence[EncryptedTextField],
    prefix: str,
    *,
    batch_size: int,
    dry_run: bool,
    progress: bool,
    refused: list[int] | None = None,
) -> int:
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(column(model._meta.pk))
    columns = [qn(column(f)) for f in fields]
    stale = " OR ".join(
        f"({c} IS NOT NULL AND {c} <> '' AND SUBSTR({c}, 1, %s) <> %s)" for c in columns
    )
    stale_params: list[Any] = []
    for _ in columns:
        stale_params += [len(prefix), prefix]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {stale}", stale_params)  # noqa: S608
        total: int = cursor.fetchone()[0]
    if dry_run or not total:
        return total
    done, last_pk = 0, None
    bar = tqdm(
        total=total, desc=model._meta.db_table, unit="row", disable=not progress, leave=False
    )
    places = [place_of(f) for f in fields]
    refused = [] if refused is None else refused
    select = f"SELECT {pk}, row_key, {', '.join(columns)} FROM {table} WHERE ({stale})"  # noqa: S608
    update = f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns)} WHERE {pk} = %s"  # noqa: S608
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            after = f" AND {pk} > %s" if last_pk is not None else ""
            params = stale_params + ([last_pk] if last_pk is not None else [])
            cursor.execute(f"{select}{after} ORDER BY {pk} LIMIT {int(batch_size)}", params)
            rows = cursor.fetchall()
            if not rows:
                break
            updates = []
            for row_pk, row_key, *values in rows:
                own = row_key.hex if hasattr(row_key, "hex") else str(row_key).replace("-", "")
                new = [
                    _reseal(v, place, own, refused) if v and not v.startswith(prefix) else v
                    for v, place in zip(values, places, strict=True)
                ]
                updates.append([*new, row_pk])
            cursor.executemany(update, updates)
            last_pk = rows[-1][0]
            done += len(rows)
            bar.update(len(rows))
    bar.close()
    return done


def _reseal(stored: str, place: str, row_key: str, refused: list[int]) -> str:
    try:
        return crypto.reencrypt(stored, place=place, row_key=row_key)
    except crypto.UnknownKeyError:
        raise
    except crypto.DecryptionError:
        refused.append(1)
        return stored
