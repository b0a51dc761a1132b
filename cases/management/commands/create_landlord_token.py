from django.core.management.base import BaseCommand, CommandError

from cases.evictions.selectors import find_landlord_by_name
from cases.evictions.services.tokens import create_token, revoke_tokens


class Command(BaseCommand):
    help = "Create an API token for a registered landlord and print it (shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The landlord's registered name.")
        parser.add_argument(
            "--revoke", action="store_true", help="Revoke the landlord's tokens instead."
        )

    def handle(self, *args, name: str, revoke: bool, **options):
        landlord = find_landlord_by_name(name)
        if landlord is None:
            raise CommandError("No landlord is registered under that name.")
        if revoke:
            count = revoke_tokens(landlord=landlord)
            self.stdout.write(f"Revoked {count} token(s).")
            return
        self.stdout.write(create_token(landlord=landlord))
