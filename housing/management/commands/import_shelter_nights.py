from django.core.management.base import BaseCommand, CommandError

from housing import nights


class Command(BaseCommand):
    help = "Import a shelter's monthly invoice (CSV): all rows or none; duplicates are reported and skipped."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file: str, **options):
        try:
            with open(file, "rb") as fh:
                content = fh.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from exc
        rows, problems = nights.parse_csv(content)
        result = (
            nights.BatchResult(errors=problems)
            if problems
            else nights.import_batch(actor=None, rows=rows, source="import")
        )
        if not result.ok:
            for line, reason in result.errors:
                self.stderr.write(f"line {line}: {reason}")
            raise CommandError(f"{len(result.errors)} rows rejected; nothing was imported.")
        for line in result.duplicates:
            self.stdout.write(f"line {line}: already registered, skipped")
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} nights imported, {len(result.duplicates)} duplicates."
            )
        )
