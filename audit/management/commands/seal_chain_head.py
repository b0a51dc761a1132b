import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from audit import heads


class Command(BaseCommand):
    help = (
        "Sign the access log's head and export it (file, syslog, auditors' e-mail). "
        "With --new-key PATH: write a new Ed25519 signing key and print its public key."
    )

    def add_arguments(self, parser):
        parser.add_argument("--new-key", metavar="PATH", help="create a signing key file")

    def handle(self, *args, new_key=None, **options):
        if new_key:
            path = Path(new_key)
            if path.exists():
                raise CommandError(f"{path} exists: a signing key is never overwritten")
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            self.stdout.write(f"BOKVAR_AUDIT_HEAD_PUBLIC_KEY={heads.public_key_text(key)}")
            return
        try:
            head = heads.seal()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Head sealed: entry {head.seq}, {head.hash}.")
