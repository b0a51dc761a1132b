"""Landlord API tokens: shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from bokvar.history import attribute, system_user
from bokvar.models import User
from cases.models import Landlord, LandlordToken

PREFIX = "bk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def create_token(*, landlord: Landlord) -> str:
    key = PREFIX + secrets.token_urlsafe(32)
    token = LandlordToken(landlord=landlord, key_hash=hash_key(key), prefix=key[:10])
    attribute(token, user=system_user(), reason="token created").save()
    return key


@transaction.atomic
def revoke_tokens(*, landlord: Landlord, actor: User | None = None) -> int:
    count = 0
    for token in landlord.tokens.filter(revoked_at__isnull=True):
        token.revoked_at = timezone.now()
        attribute(token, user=actor or system_user(), reason="token revoked").save(
            update_fields=["revoked_at"]
        )
        count += 1
    return count


def landlord_for_key(key: str) -> Landlord | None:
    token = (
        LandlordToken.objects.filter(
            key_hash=hash_key(key), revoked_at__isnull=True, landlord__is_active=True
        )
        .select_related("landlord")
        .first()
    )
    return token.landlord if token else None
