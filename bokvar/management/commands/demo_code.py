"""Print the current sign-in code of a demo account (its known authenticator key)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from bokvar import second_factor
from bokvar.models import User


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo user (demo keys only)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        # Only the published demo key: a real user's authenticator is theirs alone.
        device = TOTPDevice.objects.filter(
            user=user, confirmed=True, key=second_factor.demo_key(username)
        ).first()
        if device is None:
            raise CommandError(f"{username!r} has no demo authenticator.")
        self.stdout.write(second_factor.current_code(device))
