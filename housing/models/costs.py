"""Other costs of a client for the annual cost forecast. Categories are rows, so a new
kind of cost needs no code: an administrator adds it in the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from cases.models import Case


class CostCategory(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost category")
        verbose_name_plural = _("cost categories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CostItem(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="cost_items", verbose_name=_("case")
    )
    category = models.ForeignKey(CostCategory, on_delete=models.PROTECT, verbose_name=_("category"))
    on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (SEK)"), max_digits=10, decimal_places=2)
    row_key = row_key_field()  # binds its encrypted values to this row
    note = EncryptedTextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("cost item")
        verbose_name_plural = _("cost items")
        ordering = ["-on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="cost_item_not_negative")
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"
