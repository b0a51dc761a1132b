"""API clients: create (the token is shown once), revoke, and find the client of a token.

Only a SHA-256 hash of a token is stored: a token is 32 random bytes, so a plain hash is
enough (no salt or slow hash is needed against guessing), and a lookup is one indexed
equality."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .history import attribute, system_user
from .models import ApiClient, District, User

PREFIX = "bk_"
# The last use is recorded at most this often per client: a write per request would cost
# a row lock and a WAL record on every call of a busy integration.
LAST_USE_GRANULARITY = timedelta(minutes=1)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetime() -> timedelta:
    return timedelta(days=settings.BOKVAR_API_CLIENT_LIFETIME_DAYS)


@transaction.atomic
def create_client(
    *,
    kind: str,
    name: str,
    subject_id: int | None = None,
    district: District | None = None,
    actor: User | None = None,
    valid_for: timedelta | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its token; the token is returned here once and never again."""
    key = PREFIX + secrets.token_urlsafe(32)
    client = ApiClient(
        kind=kind,
        name=name,
        subject_id=subject_id,
        district=district,
        key_hash=hash_key(key),
        prefix=key[:10],
        expires_at=timezone.now() + (valid_for if valid_for is not None else lifetime()),
    )
    client.full_clean(exclude=["key_hash", "prefix"])
    attribute(client, user=actor or system_user(), reason="API client created").save()
    return client, key


@transaction.atomic
def revoke_clients(
    *, kind: str, subject_id: int | None = None, pk: int | None = None, actor: User | None = None
) -> int:
    """Revoke the live clients of a kind, of one subject (landlord, place) or one by id."""
    live = ApiClient.objects.filter(kind=kind, revoked_at__isnull=True)
    if subject_id is not None:
        live = live.filter(subject_id=subject_id)
    if pk is not None:
        live = live.filter(pk=pk)
    count = 0
    for client in live.select_for_update():
        client.revoked_at = timezone.now()
        attribute(client, user=actor or system_user(), reason="API client revoked").save(
            update_fields=["revoked_at"]
        )
        count += 1
    return count


def live_clients() -> Q:
    return Q(revoked_at__isnull=True, expires_at__gt=timezone.now())


def client_for_key(key: str) -> ApiClient | None:
    """The live client holding `key`, its last use recorded (at most once a minute)."""
    client = ApiClient.objects.filter(live_clients(), key_hash=hash_key(key)).first()
    if client is None:
        return None
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USE_GRANULARITY:
        # A plain UPDATE, not save(): no history row per use, and no lost update of a
        # revocation saved in between.
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client
