"""Handovers between units: a case handed over (transfer), a unit asked to take part
(consultation), or a unit asking for a case (transfer request). A handover is never
lost: it stays pending in the receiving unit's inbox until someone decides, it is
escalated when nobody does, and a returned one goes back to the sender's inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from bokvar.models import Unit

from .cases import Case


class Handover(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("Transfer")
        CONSULTATION = "consultation", _("Consultation")
        TRANSFER_REQUEST = "transfer_request", _("Transfer request")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        ACUTE = "acute", _("Acute")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned")
        CLOSED = "closed", _("Closed")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="handovers", verbose_name=_("case")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The unit that sends and the unit whose inbox it lands in. For a transfer request
    # the sender is the asking unit and the receiver is the responsible unit.
    from_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="handovers_sent", verbose_name=_("from unit")
    )
    to_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="handovers_received", verbose_name=_("to unit")
    )
    row_key = row_key_field()  # binds its encrypted values to this row
    reason = EncryptedTextField(_("reason"))
    expectations = EncryptedTextField(_("what the receiver is expected to do"))
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    sent_at = models.DateTimeField(_("sent"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )
    seen_at = models.DateTimeField(_("seen"), null=True, blank=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who in the unit that takes the case (or the consultation) works on it: asked for
    # when accepting, a member of that unit.
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_reason = EncryptedTextField(_("reason for returning"))
    # The sender has seen the returned handover (it leaves the sender's inbox).
    return_acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The sender, granted the household's protected people, lets the unit that accepts
    # see them: the grant is given when the handover is accepted (issue 16).
    grants_protected = models.BooleanField(
        _("the receiver may see the protected people once accepted"), default=False
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["to_unit", "status"], name="handover_inbox"),
            models.Index(fields=["status", "sent_at"], name="handover_status_sent"),
            # Returned handovers not yet marked read, by the unit they came back to: the
            # inbox and its badge on every page of case staff. Without it PostgreSQL
            # intersected the unit's handovers with every returned one of the country
            # (8,770 at national scale: 1.7 ms a page; issue 22).
            models.Index(
                fields=["from_unit", "status"],
                condition=Q(return_acknowledged_at__isnull=True),
                name="handover_returns_unread",
            ),
        ]
        constraints = [
            # Sending twice by accident makes one handover.
            models.UniqueConstraint(
                fields=["case", "to_unit", "kind"],
                condition=Q(status="pending"),
                name="handover_one_pending",
            ),
            models.CheckConstraint(
                condition=~Q(from_unit=models.F("to_unit")), name="handover_between_units"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", accepted_at__isnull=True, returned_at__isnull=True)
                | Q(status="accepted", accepted_at__isnull=False, returned_at__isnull=True)
                | Q(status="returned", returned_at__isnull=False, accepted_at__isnull=True)
                | Q(status="closed", accepted_at__isnull=False, closed_at__isnull=False),
                name="handover_status_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def moves_responsibility(self) -> bool:
        return self.kind in (self.Kind.TRANSFER, self.Kind.TRANSFER_REQUEST)

    @property
    def new_unit_id(self) -> int:
        """The unit responsible after a transfer or transfer request is accepted."""
        return self.to_unit_id if self.kind == self.Kind.TRANSFER else self.from_unit_id

    @property
    def old_unit_id(self) -> int:
        return self.from_unit_id if self.kind == self.Kind.TRANSFER else self.to_unit_id

    @property
    def decided_at(self):
        return self.accepted_at or self.returned_at


class HandoverReadAccess(models.Model):
    """Read access a unit keeps after handing a case over, until `expires_at`."""

    handover = models.ForeignKey(Handover, on_delete=models.CASCADE, related_name="read_access")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("read access after handover")
        verbose_name_plural = _("read access after handovers")
        indexes = [models.Index(fields=["revoked_at", "expires_at"], name="handover_access_due")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.unit_id}"
