"""Training and trial apartments and other social contracts, and the placements of
households in them, from move-in to a contract of their own."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from bokvar.models import District
from cases.models import Case, Household, Landlord


class Apartment(models.Model):
    class Kind(models.TextChoices):
        TRAINING = "training", _("Training apartment")
        TRIAL = "trial", _("Trial apartment")
        BOARDING_HOME = "boarding_home", _("Boarding-home place")
        OTHER = "other", _("Other social contract")

    class Status(models.TextChoices):
        VACANT = "vacant", _("Vacant")
        OCCUPIED = "occupied", _("Occupied")
        RENOVATION = "renovation", _("Being renovated")
        # The client took over the first-hand contract: the flat is their own home now
        # and no longer part of the municipality's stock. Final.
        LEFT_STOCK = "left_stock", _("Left the stock (contract taken over)")

    # What staff may set by hand: occupancy follows the placements, and leaving the
    # stock follows a contract takeover.
    SETTABLE_STATUSES = (Status.VACANT, Status.RENOVATION)

    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="apartments", verbose_name=_("district")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    # A home's address says where a client lives once placed: encrypted.
    row_key = row_key_field()  # binds its encrypted values to this row
    address = EncryptedTextField(_("address"))
    reference = models.CharField(
        _("reference"), max_length=40, help_text=_("The landlord's object number.")
    )
    landlord = models.ForeignKey(
        Landlord, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("landlord")
    )
    rent = models.DecimalField(_("monthly rent (SEK)"), max_digits=9, decimal_places=2)
    municipality_first_hand = models.BooleanField(
        _("the municipality holds the first-hand contract"), default=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.VACANT
    )
    status_since = models.DateField(_("status since"))
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("apartment")
        verbose_name_plural = _("apartments")
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "reference"], name="apartment_reference_unique"
            ),
            models.CheckConstraint(condition=Q(rent__gte=0), name="apartment_rent_not_negative"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def in_stock(self) -> bool:
        return self.status != self.Status.LEFT_STOCK


class Placement(models.Model):
    class ContractType(models.TextChoices):
        SECOND_HAND = "second_hand", _("Second-hand contract")
        BOARDING = "boarding", _("Boarding agreement")

    class Outcome(models.TextChoices):
        CURRENT = "", _("Current")
        TAKEOVER = "takeover", _("Contract takeover")
        MOVED_ON = "moved_on", _("Moved on")
        TERMINATED = "terminated", _("Terminated")
        OTHER = "other", _("Other")

    apartment = models.ForeignKey(
        Apartment, on_delete=models.PROTECT, related_name="placements", verbose_name=_("apartment")
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="placements", verbose_name=_("case")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="placements", verbose_name=_("household")
    )
    start_on = models.DateField(_("moved in"))
    end_on = models.DateField(_("moved out"), null=True, blank=True)
    # What was agreed: a training or trial period runs until this day (then the household
    # moves on or takes over the contract). The start page lists placements ending soon.
    agreed_end_on = models.DateField(_("agreed until"), null=True, blank=True)
    contract_type = models.CharField(
        _("contract type"),
        max_length=12,
        choices=ContractType.choices,
        default=ContractType.SECOND_HAND,
    )
    guide = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placements",
        verbose_name=_("housing guide"),
    )
    goal_running_home = models.BooleanField(_("goal: running a home"), default=False)
    goal_managing_money = models.BooleanField(_("goal: managing money"), default=False)
    goal_social_skills = models.BooleanField(_("goal: social skills"), default=False)
    row_key = row_key_field()  # binds its encrypted values to this row
    plan = EncryptedTextField(_("follow-up plan"))
    monthly_cost = models.DecimalField(
        _("monthly cost to the district (SEK)"), max_digits=9, decimal_places=2, default=0
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    takeover_on = models.DateField(_("contract taken over"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-start_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["apartment"],
                condition=Q(end_on__isnull=True),
                name="one_current_placement_per_apartment",
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="placement_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(agreed_end_on__isnull=True) | Q(agreed_end_on__gte=F("start_on")),
                name="placement_agreed_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True, outcome="")
                | (Q(end_on__isnull=False) & ~Q(outcome="")),
                name="placement_end_has_outcome",
            ),
            models.CheckConstraint(
                condition=(Q(outcome="takeover") & Q(takeover_on__isnull=False))
                | (~Q(outcome="takeover") & Q(takeover_on__isnull=True)),
                name="placement_takeover_dated",
            ),
            models.CheckConstraint(
                condition=Q(monthly_cost__gte=0), name="placement_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ProgressNote(models.Model):
    placement = models.ForeignKey(
        Placement, on_delete=models.CASCADE, related_name="notes", verbose_name=_("placement")
    )
    on = models.DateField(_("date"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    row_key = row_key_field()  # binds its encrypted values to this row
    note = EncryptedTextField(_("note"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("progress note")
        verbose_name_plural = _("progress notes")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk}"
