"""Decrypt every encrypted value once: proves that the configured keys read everything."""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bokvar import crypto
from bokvar.fields import column, encrypted_fields


class Command(BaseCommand):
    help = "Verify that every encrypted value (history included) decrypts with the configured keys."

    def handle(self, *args: Any, **options: Any) -> None:
        qn = connection.ops.quote_name
        failures, checked = 0, 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            cols = ", ".join(qn(column(f)) for f in fields)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {cols} FROM {qn(model._meta.db_table)}")  # noqa: S608
                for row in cursor.fetchall():
                    for value in row:
                        if not value:
                            continue
                        checked += 1
                        try:
                            crypto.decrypt(value)
                        except crypto.DecryptionError:
                            failures += 1
        if failures:
            raise CommandError(f"{failures} of {checked} encrypted values could not be decrypted.")
        self.stdout.write(self.style.SUCCESS(f"All {checked} encrypted values decrypt."))
