from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cases.evictions.selectors import find_landlord_by_name
from cases.evictions.services.imports import ImportRejected, import_signals


class Command(BaseCommand):
    help = "Import a landlord's CSV batch of signals: all rows or none."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--landlord", required=True, help="The landlord's registered name.")

    def handle(self, *args, file: str, landlord: str, **options):
        found = find_landlord_by_name(landlord)
        if found is None:
            raise CommandError("No landlord is registered under that name.")
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read the file: {exc.strerror}") from exc
        try:
            signals = import_signals(landlord=found, data=data)
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"Nothing imported: {len(exc.errors)} problem(s) in the file."
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {len(signals)} signal(s)."))
