"""API tokens of landlords' systems. Only a hash is stored; the token is shown once."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .landlords import Landlord


class LandlordToken(models.Model):
    landlord = models.ForeignKey(
        Landlord, on_delete=models.CASCADE, related_name="tokens", verbose_name=_("landlord")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters, so an administrator can tell tokens apart; not enough to use one.
    prefix = models.CharField(_("prefix"), max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["key_hash"])

    class Meta:
        verbose_name = _("landlord API token")
        verbose_name_plural = _("landlord API tokens")
        indexes = [
            models.Index(
                fields=["key_hash"], condition=Q(revoked_at__isnull=True), name="token_live"
            )
        ]

    def __str__(self) -> str:
        return self.prefix
