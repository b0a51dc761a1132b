"""The register of partner organisations: associations, municipal meeting places and
services a client can be referred to. Organisations, not people: nothing here is a
client's personal data."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.models import District


class Partner(models.Model):
    class Kind(models.TextChoices):
        ASSOCIATION = "association", _("Association")
        MEETING_PLACE = "meeting_place", _("Meeting place")
        DEBT_COUNSELLING = "debt_counselling", _("Budget and debt counselling")
        MUNICIPAL_SERVICE = "municipal_service", _("Municipal service")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="partners",
        verbose_name=_("district"),
        help_text=_("The district whose register it belongs to."),
    )
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    target_groups = models.CharField(
        _("target groups"),
        max_length=300,
        blank=True,
        help_text=_("Whom it is for, e.g. adults with mental illness, older people."),
    )
    description = models.TextField(_("what it offers"), blank=True)
    agreement_from = models.DateField(_("cooperation agreement from"), null=True, blank=True)
    agreement_until = models.DateField(_("cooperation agreement until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"], name="partner_name_unique_in_district"
            ),
            models.CheckConstraint(
                condition=Q(agreement_until__isnull=True)
                | Q(agreement_from__isnull=True)
                | Q(agreement_until__gte=F("agreement_from")),
                name="partner_agreement_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(agreement_until__isnull=True) | Q(agreement_from__isnull=False),
                name="partner_agreement_until_needs_from",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def agreement_in_force(self, on) -> bool:
        if self.agreement_from is None or self.agreement_from > on:
            return False
        return self.agreement_until is None or self.agreement_until >= on
