"""The payment route of an eviction threat: how social services saves the home by paying
the arrears or giving the landlord a written commitment (betalningsförbindelse) within
the recovery period (jordabalken 12 kap. 44 §). One route per threat, its steps in order:
the income-support application (to an income-support unit), the decision, the payment or
commitment, and the landlord's confirmation. The steps are judged against the threat's
recovery deadline by `cases.evictions.services.payment_routes.route_steps`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from bokvar.models import Unit

from .threats import EvictionThreat


class PaymentRoute(models.Model):
    class Decision(models.TextChoices):
        PENDING = "", _("No decision yet")
        GRANTED = "granted", _("Granted")
        PARTLY_GRANTED = "partly_granted", _("Partly granted")
        REFUSED = "refused", _("Refused")

    class Settlement(models.TextChoices):
        NONE = "", _("Not yet")
        PAYMENT = "payment", _("Payment to the landlord")
        COMMITMENT = "commitment", _("Written commitment to the landlord (betalningsförbindelse)")

    threat = models.OneToOneField(
        EvictionThreat,
        on_delete=models.CASCADE,
        related_name="payment_route",
        verbose_name=_("eviction threat"),
    )
    applied_on = models.DateField(_("income-support application made"), null=True, blank=True)
    income_support_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("income-support unit"),
    )
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    decided_on = models.DateField(_("decision made"), null=True, blank=True)
    settlement = models.CharField(
        _("payment or commitment"), max_length=12, choices=Settlement.choices, blank=True
    )
    settled_on = models.DateField(_("paid or committed on"), null=True, blank=True)
    row_key = row_key_field()  # binds its encrypted values to this row
    # Money a client owes and social services pays is sensitive: encrypted, as text
    # holding a decimal (the services write it; `amount` reads it).
    settled_amount = EncryptedTextField(_("amount paid or committed (SEK)"))
    landlord_confirmed_on = models.DateField(_("landlord confirmed receipt"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment route")
        verbose_name_plural = _("payment routes")
        constraints = [
            models.CheckConstraint(
                condition=Q(applied_on__isnull=True, income_support_unit__isnull=True)
                | Q(applied_on__isnull=False, income_support_unit__isnull=False),
                name="route_application_has_unit",
            ),
            models.CheckConstraint(
                condition=Q(decision="", decided_on__isnull=True)
                | (~Q(decision="") & Q(decided_on__isnull=False) & Q(applied_on__isnull=False)),
                name="route_decision_has_date_and_application",
            ),
            models.CheckConstraint(
                condition=Q(settlement="", settled_on__isnull=True)
                | (
                    ~Q(settlement="")
                    & Q(settled_on__isnull=False)
                    & Q(decision__in=["granted", "partly_granted"])
                ),
                name="route_settlement_has_date_and_grant",
            ),
            models.CheckConstraint(
                condition=Q(landlord_confirmed_on__isnull=True) | ~Q(settlement=""),
                name="route_confirmation_needs_settlement",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("applied_on")),
                name="route_decision_after_application",
            ),
            models.CheckConstraint(
                condition=Q(settled_on__isnull=True) | Q(settled_on__gte=F("decided_on")),
                name="route_settlement_after_decision",
            ),
            models.CheckConstraint(
                condition=Q(landlord_confirmed_on__isnull=True)
                | Q(landlord_confirmed_on__gte=F("settled_on")),
                name="route_confirmation_after_settlement",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def amount(self) -> Decimal | None:
        try:
            return Decimal(self.settled_amount) if self.settled_amount else None
        except InvalidOperation:
            return None

    def settles_by(self, deadline: date, needed: Decimal | None) -> bool:
        """A payment or commitment on or before `deadline` that covers `needed` (when the
        amount needed to recover the lease is known)."""
        if not self.settlement or self.settled_on is None or self.settled_on > deadline:
            return False
        amount = self.amount
        return needed is None or (amount is not None and amount >= needed)
