from django.core.management.base import BaseCommand, CommandError

from audit.tasks import check_access_log


class Command(BaseCommand):
    help = (
        "Verify the access log's hash chain and compare it with the exported signed heads; "
        "report the first altered, inserted, removed or rewritten entry."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--heads",
            metavar="PATH",
            help="exported heads to compare with (default: BOKVAR_AUDIT_HEAD_FILE), "
            "e.g. an auditor's own copy",
        )

    def handle(self, *args, heads=None, **options):
        verdict = check_access_log(heads)
        if not verdict.ok:
            raise CommandError(f"Access log verification failed: {verdict.problem}")
        if verdict.heads is None:
            self.stderr.write(
                "No exported heads to compare with: a chain rewritten with the chain key "
                "would go unnoticed (set BOKVAR_AUDIT_HEAD_FILE)."
            )
            self.stdout.write(f"Access log intact: {verdict.checked} entries verified.")
        else:
            self.stdout.write(
                f"Access log intact: {verdict.checked} entries verified against "
                f"{verdict.heads} signed heads."
            )
