from django.core.management.base import BaseCommand, CommandError

from audit.tasks import check_access_log


class Command(BaseCommand):
    help = (
        "Verify the access log's hash chain; report the first altered, inserted or removed entry."
    )

    def handle(self, *args, **options):
        verdict = check_access_log()
        if not verdict.ok:
            raise CommandError(f"Access log verification failed: {verdict.problem}")
        self.stdout.write(f"Access log intact: {verdict.checked} entries verified.")
