"""Create (the token is printed once), list and revoke API clients."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from bokvar.api_clients import create_client, revoke_clients
from bokvar.models import ApiClient, District

# What a client of each kind speaks for, named by string like INSTALLED_APPS: the
# kernel imports no app.
SUBJECT_MODEL: dict[str, str] = {
    ApiClient.Kind.LANDLORD: "cases.Landlord",
    ApiClient.Kind.SHELTER: "housing.Shelter",
    ApiClient.Kind.MEETING_PLACE: "partners.MeetingPlace",
}


class Command(BaseCommand):
    help = "Create, list or revoke API clients (one token each; shown once when created)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create a client and print its token once.")
        create.add_argument("--kind", required=True, choices=ApiClient.Kind.values)
        create.add_argument("--name", required=True, help="Whose system (no personal data).")
        create.add_argument(
            "--subject", type=int, help="Id of the landlord, shelter or meeting place."
        )
        create.add_argument("--district", help="Code of the district (kind steering).")
        create.add_argument("--days", type=int, help="Lifetime in days (default: the setting).")
        sub.add_parser("list", help="List the clients (never their tokens).")
        revoke = sub.add_parser("revoke", help="Revoke a client by id.")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "create":
            self._create(**options)
        elif action == "list":
            for c in ApiClient.objects.select_related("district").order_by("pk"):
                state = (
                    "revoked"
                    if c.revoked_at
                    else "expired"
                    if c.expires_at <= timezone.now()
                    else "live"
                )
                self.stdout.write(
                    f"{c.pk}\t{c.kind}\t{c.prefix}\t{c.name}\t{state}\t"
                    f"expires {c.expires_at:%Y-%m-%d}\tlast used {c.last_used_at or '-'}"
                )
        else:
            client = ApiClient.objects.filter(pk=options["id"]).first()
            if client is None:
                raise CommandError("No API client has that id.")
            count = revoke_clients(kind=client.kind, pk=client.pk)
            self.stdout.write(f"Revoked {count} client(s).")

    def _create(
        self,
        *,
        kind: str,
        name: str,
        subject: int | None,
        district: str | None,
        days: int | None,
        **options: Any,
    ) -> None:
        if kind in SUBJECT_MODEL:
            if subject is None:
                raise CommandError(f"--subject: a client of kind {kind} speaks for one.")
            if not apps.get_model(SUBJECT_MODEL[kind]).objects.filter(pk=subject).exists():
                raise CommandError(f"--subject: no {SUBJECT_MODEL[kind]} has id {subject}.")
        place = None
        if kind == ApiClient.Kind.STEERING:
            place = District.objects.filter(code=district).first() if district else None
            if place is None:
                raise CommandError("--district: give the code of an existing district.")
        _client, key = create_client(
            kind=kind,
            name=name,
            subject_id=subject,
            district=place,
            valid_for=timedelta(days=days) if days else None,
        )
        self.stdout.write(key)
