"""`manage.py health`: one line per part of Bo Kvar, exit status 1 when any has stopped.
For monitoring (a systemd timer, Nagios, Zabbix); see docs/deploy.md."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bokvar.health import all_checks, web_checks


class Command(BaseCommand):
    help = "Check the database, the broker, the workers and the scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--web", action="store_true", help="Only what a web process needs (database, broker)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checks = web_checks() if options["web"] else all_checks()
        for check in checks:
            state = "ok" if check.ok else "FAILED"
            self.stdout.write(
                f"{check.name}: {state}" + (f" ({check.detail})" if check.detail else "")
            )
        failed = [c.name for c in checks if not c.ok]
        if failed:
            raise CommandError("stopped: " + ", ".join(failed))
