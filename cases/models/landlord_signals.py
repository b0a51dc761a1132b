"""Landlord signals: what a landlord tells the team, often before anyone knows who the
tenant is. The tenant's details and the description are encrypted; exact matching
goes through blind indexes; statistics use the plain coarse columns."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from bokvar.models import District

from .cases import Case
from .landlords import Landlord


class LandlordSignal(models.Model):
    # Not a column: set by cases.evictions.selectors.mark_withheld on signals about to be
    # shown (the one visibility rule, people_selectors.Sight).
    withheld: bool

    class Kind(models.TextChoices):
        MISSED_PAYMENT = "missed_payment", _("Missed rent payment")
        RENT_ARREARS = "rent_arrears", _("Rent arrears")
        NEIGHBOUR_COMPLAINTS = "neighbour_complaints", _("Neighbour complaints")
        DISTURBANCE = "disturbance", _("Disturbance")
        NEGLECT = "neglect", _("Neglect of the flat")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("E-mail")
        API = "api", _("API")
        IMPORT = "import", _("Import")

    class Status(models.TextChoices):
        UNTRIAGED = "untriaged", _("Waiting for triage")
        LINKED = "linked", _("Linked to a case")
        OPENED = "opened", _("New case opened")
        DISMISSED = "dismissed", _("Dismissed")

    landlord = models.ForeignKey(
        Landlord, on_delete=models.PROTECT, related_name="signals", verbose_name=_("landlord")
    )
    # Whose coordinators triage it. Set on arrival (the landlord's only district, else the
    # district of the tenant's open case, else the registering coordinator's) and at
    # triage (the case's district); empty while nothing tells (see
    # cases.evictions.selectors.visible_signals for who sees those).
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("district"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    received_on = models.DateField(_("received"))
    row_key = row_key_field()  # binds its encrypted values to this row
    tenant_personal_number = EncryptedTextField(_("tenant's identity number"))
    tenant_name = EncryptedTextField(_("tenant's name"))
    tenant_address = EncryptedTextField(_("tenant's address"))
    # Keyed hashes for matching to people and for spotting repeat signals.
    tenant_personal_number_bidx = models.CharField(max_length=64, blank=True, editable=False)
    tenant_name_bidx = models.CharField(max_length=64, blank=True, editable=False)
    arrears_amount = models.DecimalField(
        _("arrears amount (SEK)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    description = EncryptedTextField(_("description"))
    # Disturbance: required before a termination for disturbance (12 kap. 25 § JB).
    landlord_warned_tenant = models.BooleanField(
        _("landlord has warned the tenant"), null=True, blank=True
    )
    landlord_notified_board = models.BooleanField(
        _("landlord has notified the social welfare board"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UNTRIAGED
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signals",
        verbose_name=_("case"),
    )
    # A second signal for the same tenant and landlord while the first still waits for
    # triage: it is not a queue item of its own but follows the first one's triage.
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
        verbose_name=_("repeat of"),
    )
    dismissal_reason = EncryptedTextField(_("reason for dismissal"))
    triaged_at = models.DateTimeField(_("triaged"), null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Coarse and plain, for statistics: days from the signal to the first contact.
    first_contact_days = models.PositiveIntegerField(
        _("days to first contact"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when a coordinator not granted the protected person the signal names sent it
    # to those granted (opening a case with that person's number): from then on it is
    # theirs and leaves the queue of everyone not granted, so that the sender's queue
    # looks as if a case had been opened (issue 16, point 4: no existence oracle).
    routed_at = models.DateTimeField(_("sent to those granted"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["tenant_personal_number_bidx", "tenant_name_bidx"])

    class Meta:
        verbose_name = _("landlord signal")
        verbose_name_plural = _("landlord signals")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["status", "received_on"], name="signal_status_received"),
            models.Index(fields=["landlord", "tenant_personal_number_bidx"], name="signal_tenant"),
            models.Index(fields=["district", "status"], name="signal_district_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(arrears_amount__isnull=True) | Q(arrears_amount__gte=0),
                name="signal_arrears_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["untriaged", "dismissed"]) | Q(case__isnull=False),
                name="signal_triaged_has_case",
            ),
            models.CheckConstraint(
                condition=~Q(repeat_of=models.F("pk")), name="signal_not_repeat_of_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def disturbance_steps_missing(self) -> list[str]:
        """For a disturbance signal, the steps the landlord must take before terminating
        for disturbance (12 kap. 25 § JB) that are not known to be done: the tenant warned
        and the social welfare board notified."""
        if self.kind != self.Kind.DISTURBANCE:
            return []
        missing = []
        if self.landlord_warned_tenant is not True:
            missing.append(str(_("the landlord's warning to the tenant")))
        if self.landlord_notified_board is not True:
            missing.append(str(_("the landlord's notice to the social welfare board")))
        return missing
