"""Decrypt every encrypted value once, where it is stored: proves that the configured
keys read everything, and that no value was moved to another row, column or table
(issue 17, point 3)."""

from collections import Counter
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bokvar import crypto
from bokvar.fields import column, encrypted_fields, place_of


class Command(BaseCommand):
    help = (
        "Verify that every encrypted value (history included) decrypts with the configured"
        " keys and belongs to the row, column and table it is stored in."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        qn = connection.ops.quote_name
        problems: Counter[tuple[str, str]] = Counter()
        checked = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            places = [place_of(f) for f in fields]
            cols = ", ".join(qn(column(f)) for f in fields)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT row_key, {cols} FROM {qn(model._meta.db_table)}"  # noqa: S608
                )
                for row_key, *values in cursor.fetchall():
                    own = row_key.hex if hasattr(row_key, "hex") else str(row_key).replace("-", "")
                    for place, value in zip(places, values, strict=True):
                        if not value:
                            continue
                        checked += 1
                        problem = _problem(value, place, own)
                        if problem:
                            problems[(f"{model._meta.db_table}: {place}", problem)] += 1
        if problems:
            for (where, problem), count in sorted(problems.items()):
                self.stderr.write(f"{where}: {count} {problem}")
            raise CommandError(
                f"{sum(problems.values())} of {checked} encrypted values failed: see above."
            )
        self.stdout.write(self.style.SUCCESS(f"All {checked} encrypted values decrypt."))


def _problem(value: str, place: str, row_key: str) -> str:
    """What is wrong with `value` stored at `place` in the row with `row_key`, or ''."""
    if crypto.is_unbound(value):
        return "in the old format, bound to no place (run migrate)"
    try:
        opened = crypto.decrypt(value, place=place)
    except crypto.UnknownKeyError:
        return "under a key that is not configured"
    except crypto.DecryptionError:
        return "sealed for another column or table, or altered (tampering)"
    if opened.row_key != row_key:
        return "sealed for another row (tampering)"
    return ""
