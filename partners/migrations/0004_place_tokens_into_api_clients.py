"""Meeting-place tokens become API clients of kind meeting_place (bokvar.ApiClient)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def copy_tokens(apps, schema_editor):
    """Each token becomes an API client of kind meeting_place with the same hash, so the key its
    system holds stays valid (for one lifetime from today: the old tokens had no expiry).
    The tokens' history rows follow them."""
    Token = apps.get_model("partners", "PlaceToken")
    HistoricalToken = apps.get_model("partners", "HistoricalPlaceToken")
    ApiClient = apps.get_model("bokvar", "ApiClient")
    HistoricalApiClient = apps.get_model("bokvar", "HistoricalApiClient")
    expires_at = timezone.now() + timedelta(days=settings.BOKVAR_API_CLIENT_LIFETIME_DAYS)
    new_id = {}
    for token in Token.objects.order_by("pk"):
        client = ApiClient.objects.create(
            name=f"Meeting place {token.place_id}",
            kind="meeting_place",
            subject_id=token.place_id,
            key_hash=token.key_hash,
            prefix=token.prefix,
            expires_at=expires_at,
            revoked_at=token.revoked_at,
        )
        # auto_now_add set today's time; the token's own creation is the truth.
        ApiClient.objects.filter(pk=client.pk).update(created_at=token.created_at)
        new_id[token.pk] = client.pk
    HistoricalApiClient.objects.bulk_create(
        HistoricalApiClient(
            id=new_id[row.id],
            name=f"Meeting place {row.place_id}",
            kind="meeting_place",
            subject_id=row.place_id,
            prefix=row.prefix,
            created_at=row.created_at,
            expires_at=expires_at,
            revoked_at=row.revoked_at,
            history_date=row.history_date,
            history_change_reason=row.history_change_reason,
            history_type=row.history_type,
            history_user_id=row.history_user_id,
        )
        for row in HistoricalToken.objects.order_by("history_id")
        if row.id in new_id
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0003_referrals"),
        ("bokvar", "0008_api_clients"),
    ]

    operations = [
        migrations.RunPython(copy_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="placetoken", name="place"),
        migrations.DeleteModel(name="HistoricalPlaceToken"),
        migrations.DeleteModel(name="PlaceToken"),
    ]
