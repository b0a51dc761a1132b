"""Night shelters, their price per night over time, and the nights people spend there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.models import District, Unit
from cases.models import Person


class Shelter(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="shelters", verbose_name=_("district")
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("night shelter")
        verbose_name_plural = _("night shelters")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ShelterPrice(models.Model):
    """A price applies from its date until the next price of the same shelter: periods
    defined by their start cannot overlap."""

    shelter = models.ForeignKey(
        Shelter, on_delete=models.CASCADE, related_name="prices", verbose_name=_("shelter")
    )
    valid_from = models.DateField(_("valid from"))
    price_per_night = models.DecimalField(
        _("price per night (SEK)"), max_digits=8, decimal_places=2
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("shelter price")
        verbose_name_plural = _("shelter prices")
        ordering = ["shelter", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["shelter", "valid_from"], name="shelter_price_once_per_date"
            ),
            models.CheckConstraint(
                condition=Q(price_per_night__gte=0), name="shelter_price_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shelter_id}:{self.valid_from}"


class ShelterNight(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Registered by staff")
        IMPORT = "import", _("Invoice import")
        API = "api", _("API")

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="shelter_nights", verbose_name=_("person")
    )
    shelter = models.ForeignKey(
        Shelter, on_delete=models.PROTECT, related_name="nights", verbose_name=_("shelter")
    )
    night = models.DateField(_("night"))
    cost = models.DecimalField(_("cost (SEK)"), max_digits=8, decimal_places=2)
    # Millions of rows: no single-column index where the (paying_unit, night) index
    # serves, and none on registered_by (users are never deleted, nobody searches by
    # it). Each index costs every import, here and in the history table.
    paying_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("paying unit"),
        db_index=False,
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # History is read per night (id) or per person (extracts, retention); the other
    # columns are never searched there.
    history = HistoricalRecords(no_db_index=["shelter", "paying_unit", "registered_by"])

    class Meta:
        verbose_name = _("shelter night")
        verbose_name_plural = _("shelter nights")
        ordering = ["-night", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "night"], name="one_shelter_night_per_person_and_date"
            ),
            models.CheckConstraint(
                condition=Q(cost__gte=0), name="shelter_night_cost_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["night"], name="shelter_night_date"),
            models.Index(fields=["paying_unit", "night"], name="shelter_night_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.night}"
