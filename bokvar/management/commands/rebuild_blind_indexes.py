"""Move every blind index to the first configured blind-index key, while the product
runs (issue 17, point 4). Resumable: run it again after an interruption."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bokvar import blind_indexes, crypto


class Command(BaseCommand):
    help = (
        "Rebuild every blind index (search by identity number and name, uniqueness of"
        " identity numbers) under the first key of BOKVAR_BLIND_INDEX_KEYS, without"
        " downtime. Then the old key can be removed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count the indexes still to rebuild."
        )

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        key = crypto.index_keyring().primary_id
        if dry_run:
            total = 0
            for col in blind_indexes.registered():
                count = blind_indexes.pending(col).count()
                total += count
                self.stdout.write(f"{col.model}.{col.column}: {count}")
            for tokens in blind_indexes.registered_tokens():
                count = blind_indexes.pending_owners(tokens).count()
                total += count
                self.stdout.write(f"{tokens.name} (rows of {tokens.owner}): {count}")
            self.stdout.write(f"{total} indexes would be rebuilt with key '{key}'.")
            return
        result = blind_indexes.rebuild(batch_size=batch_size)
        self.stdout.write(self.style.SUCCESS(f"{result.rebuilt} indexes rebuilt with key '{key}'."))
        if result.withheld:
            raise CommandError(
                f"{len(result.withheld)} rows hold values that failed their integrity check"
                f" and were not indexed ({', '.join(result.withheld[:10])}): run"
                " check_encryption. Keep the old key until they are resolved."
            )
