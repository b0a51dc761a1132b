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
    # Disturbance, neighbour complaints and neglect (misconduct, jordabalken 12 kap. 42 §
    # first paragraph item 6): before terminating for it the landlord must have told the
    # tenant to put it right (rättelseanmaning, 12 kap. 43 §; for disturbances 12 kap.
    # 25 §) and, for a dwelling, notified the social welfare board of that warning (12 kap.
    # 25 §), unless the disturbances are particularly serious (särskilt allvarliga).
    landlord_warned_tenant = models.BooleanField(
        _("landlord has warned the tenant"), null=True, blank=True
    )
    landlord_warned_tenant_on = models.DateField(
        _("date of the landlord's warning to the tenant"), null=True, blank=True
    )
    landlord_notified_board = models.BooleanField(
        _("landlord has notified the social welfare board"), null=True, blank=True
    )
    landlord_notified_board_on = models.DateField(
        _("date the landlord notified the social welfare board"), null=True, blank=True
    )
    particularly_serious = models.BooleanField(
        _("the landlord claims particularly serious disturbances"),
        default=False,
        help_text=_(
            "Particularly serious disturbances (särskilt allvarliga störningar) may be "
            "grounds for termination without a prior warning (jordabalken 12 kap. 25 § and "
            "43 §); whether they were is for the rent tribunal or the court to judge."
        ),
    )
    # When the district's coordinators were told of a signal that arrived by API or
    # import (the arrival digest, services.signal_alerts): each signal is in one digest.
    coordinators_told_at = models.DateTimeField(null=True, blank=True, editable=False)
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
    history = HistoricalRecords(
        excluded_fields=["tenant_personal_number_bidx", "tenant_name_bidx", "coordinators_told_at"]
    )

    class Meta:
        verbose_name = _("landlord signal")
        verbose_name_plural = _("landlord signals")
        ordering = ["-received_on", "-id"]
        indexes = [
            models.Index(fields=["status", "received_on"], name="signal_status_received"),
            models.Index(fields=["landlord", "tenant_personal_number_bidx"], name="signal_tenant"),
            # Every signal naming a person, whatever the landlord: retention culls them
            # with the person, batch by batch; without it each batch read every signal.
            models.Index(fields=["tenant_personal_number_bidx"], name="signal_tenant_number"),
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
    def is_misconduct(self) -> bool:
        return self.kind in MISCONDUCT_KINDS

    @property
    def disturbance_steps_missing(self) -> list[str]:
        """For a signal of misconduct (disturbance, neighbour complaints, neglect), the
        steps the landlord must take before terminating for it that are not known to be
        done: the tenant warned (12 kap. 43 §, 25 §) and the social welfare board notified
        (12 kap. 25 §). When the landlord claims particularly serious disturbances no
        warning is needed (the claim is the tribunal's to judge); the board's notice is
        still asked for (see `misconduct_doubts`)."""
        if not self.is_misconduct:
            return []
        serious = self.particularly_serious and self.kind in SERIOUS_DISTURBANCE_KINDS
        missing = []
        if self.landlord_warned_tenant is not True and not serious:
            missing.append(str(_("the landlord's warning to the tenant")))
        if self.landlord_notified_board is not True:
            missing.append(str(_("the landlord's notice to the social welfare board")))
        return missing


# Signal kinds that are misconduct under jordabalken 12 kap. 42 § first paragraph item 6
# (neglect of the flat, disturbances of the neighbours): a termination for them needs the
# landlord's warning and notice to the board (12 kap. 25 §, 43 §).
MISCONDUCT_KINDS = frozenset(
    {
        LandlordSignal.Kind.DISTURBANCE,
        LandlordSignal.Kind.NEIGHBOUR_COMPLAINTS,
        LandlordSignal.Kind.NEGLECT,
    }
)
# Of those, the kinds that are disturbances: only they can be particularly serious
# disturbances (12 kap. 25 §), neglect of the flat cannot.
SERIOUS_DISTURBANCE_KINDS = frozenset(
    {LandlordSignal.Kind.DISTURBANCE, LandlordSignal.Kind.NEIGHBOUR_COMPLAINTS}
)
