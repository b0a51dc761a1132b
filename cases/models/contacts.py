"""Contacts with the household and interventions on a case, each with an encrypted note."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field

from .cases import Case


class Contact(models.Model):
    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        HOME_VISIT = "home_visit", _("Home visit")
        LETTER = "letter", _("Letter")
        MEETING = "meeting", _("Meeting")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reached = models.BooleanField(_("reached"), default=False)
    on = models.DateField(_("date"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    row_key = row_key_field()  # binds its encrypted values to this row
    note = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Intervention(models.Model):
    class Kind(models.TextChoices):
        INCOME_SUPPORT = "income_support", _("Income-support application")
        DEBT_COUNSELLING = "debt_counselling", _("Debt-counselling referral")
        PAYMENT_PLAN = "payment_plan", _("Payment plan with the landlord")
        HOME_HELP = "home_help", _("Home help")
        TRUSTEE = "trustee", _("Trustee")
        PARTNER_REFERRAL = "partner_referral", _("Referral to a partner organisation")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ONGOING = "ongoing", _("Ongoing")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="interventions", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("date"))
    # Interventions recorded before there was a status had been started: "ongoing".
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ONGOING
    )
    # What came of it (free text about the client: encrypted like the note).
    row_key = row_key_field()  # binds its encrypted values to this row
    outcome = EncryptedTextField(_("outcome"), blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    note = EncryptedTextField(_("note"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk}"
