"""Landlord API tokens: API clients of kind landlord (bokvar.api_clients), one landlord
each. Shown once, stored as a SHA-256 hash, with an expiry, revocable."""

from __future__ import annotations

from django.db import transaction

from bokvar.api_clients import create_client, revoke_clients
from bokvar.models import ApiClient, User
from cases.models import Landlord


@transaction.atomic
def create_token(*, landlord: Landlord, actor: User | None = None) -> str:
    # The client's name is no personal data: a private landlord's name stays encrypted.
    _client, key = create_client(
        kind=ApiClient.Kind.LANDLORD,
        name=f"Landlord {landlord.pk}",
        subject_id=landlord.pk,
        actor=actor,
    )
    return key


def revoke_tokens(*, landlord: Landlord, actor: User | None = None) -> int:
    return revoke_clients(kind=ApiClient.Kind.LANDLORD, subject_id=landlord.pk, actor=actor)


def landlord_of_client(client: ApiClient) -> Landlord | None:
    """The active landlord a landlord client speaks for."""
    if client.kind != ApiClient.Kind.LANDLORD or client.subject_id is None:
        return None
    return Landlord.objects.filter(pk=client.subject_id, is_active=True).first()
