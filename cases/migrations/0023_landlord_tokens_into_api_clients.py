"""Landlord tokens become API clients of kind landlord (bokvar.ApiClient)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def copy_tokens(apps, schema_editor):
    """Each token becomes an API client of kind landlord with the same hash, so the key its
    system holds stays valid (for one lifetime from today: the old tokens had no expiry).
    The tokens' history rows follow them."""
    Token = apps.get_model("cases", "LandlordToken")
    HistoricalToken = apps.get_model("cases", "HistoricalLandlordToken")
    ApiClient = apps.get_model("bokvar", "ApiClient")
    HistoricalApiClient = apps.get_model("bokvar", "HistoricalApiClient")
    expires_at = timezone.now() + timedelta(days=settings.BOKVAR_API_CLIENT_LIFETIME_DAYS)
    new_id = {}
    for token in Token.objects.order_by("pk"):
        client = ApiClient.objects.create(
            name=f"Landlord {token.landlord_id}",
            kind="landlord",
            subject_id=token.landlord_id,
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
            name=f"Landlord {row.landlord_id}",
            kind="landlord",
            subject_id=row.landlord_id,
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
        ("cases", "0022_signal_import"),
        ("bokvar", "0008_api_clients"),
    ]

    operations = [
        migrations.RunPython(copy_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="landlordtoken", name="landlord"),
        migrations.DeleteModel(name="HistoricalLandlordToken"),
        migrations.DeleteModel(name="LandlordToken"),
    ]
