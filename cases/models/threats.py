"""Eviction threats: the stage dates of one threat on a case. The recovery deadline is
derived (see recovery_deadline in cases.evictions.services.threats) and stored so lists
can sort on it."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .cases import Case


class EvictionThreat(models.Model):
    class Stage(models.TextChoices):
        ARREARS = "arrears", _("Rent arrears")
        TERMINATION = "termination", _("Notice of termination")
        APPLICATION = "application", _("Application to the authorities")
        EVICTION_DATE = "eviction_date", _("Eviction date set")
        CONCLUDED = "concluded", _("Concluded")

    class ApplicationTo(models.TextChoices):
        NONE = "", _("Not applied")
        ENFORCEMENT = "enforcement", _("Enforcement Authority (Kronofogden)")
        RENT_TRIBUNAL = "rent_tribunal", _("Rent tribunal (hyresnämnden)")

    class Outcome(models.TextChoices):
        OPEN = "", _("Not concluded")
        LEASE_KEPT = "lease_kept", _("Lease kept")
        RECOVERED_BY_PAYMENT = "recovered_by_payment", _("Lease recovered by payment")
        MOVED_TO_OTHER_HOUSING = "moved_to_other_housing", _("Moved to other housing")
        EVICTED = "evicted", _("Evicted")
        OTHER = "other", _("Other")

    class NoticeCheck(models.TextChoices):
        # NJA 1985 s. 586: the recovery period runs only from a correct notice.
        NOT_CHECKED = "", _("Not checked")
        CORRECT = "correct", _("Correct: states the right to recover and the three weeks")
        DEFECTIVE = "defective", _("Defective: lacks the information on the right to recover")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="threats", verbose_name=_("case")
    )
    arrears_notice_on = models.DateField(_("rent-arrears notice"), null=True, blank=True)
    arrears_amount = models.DecimalField(
        _("rent arrears (SEK)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    termination_served_on = models.DateField(
        _("notice of termination served"), null=True, blank=True
    )
    termination_notice = models.CharField(
        _("notice of termination checked"),
        max_length=12,
        choices=NoticeCheck.choices,
        blank=True,
        help_text=_(
            "A notice that does not tell the tenant of the right to recover the lease by "
            "paying within three weeks does not start the recovery period (NJA 1985 s. 586)."
        ),
    )
    board_notice_given_on = models.DateField(
        _("notice given to the social welfare board"),
        null=True,
        blank=True,
        help_text=_(
            "The date on the landlord's notice to the board, or the day it was sent. The "
            "recovery period counts from it (jordabalken 12 kap. 44 §: lämnats)."
        ),
    )
    board_notified_on = models.DateField(
        _("notice reached the social welfare board"), null=True, blank=True
    )
    board_notice_amount_wrong = models.BooleanField(
        _("the notice to the board states a wrong amount"),
        default=False,
        help_text=_(
            "A notice to the board with a wrong amount to pay does not lawfully start the "
            "recovery period (RH 1995:34)."
        ),
    )
    recovery_deadline = models.DateField(_("recovery deadline"), null=True, blank=True)
    recovery_amount = models.DecimalField(
        _("amount needed to recover the lease (SEK)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
    )
    application_to = models.CharField(
        _("application to"), max_length=16, choices=ApplicationTo.choices, blank=True
    )
    application_on = models.DateField(_("application date"), null=True, blank=True)
    application_served_on = models.DateField(
        _("application served on the tenant"),
        null=True,
        blank=True,
        help_text=_(
            "An application for eviction served on the tenant counts as the notice of "
            "termination (jordabalken 12 kap. 8 §)."
        ),
    )
    prevented_by_illness = models.BooleanField(
        _("tenant prevented by illness or a similar circumstance"),
        default=False,
        help_text=_(
            "Jordabalken 12 kap. 44 § second paragraph: payment as soon as possible can "
            "still recover the lease until the rent tribunal or the Enforcement Authority "
            "decides."
        ),
    )
    eviction_on = models.DateField(_("eviction date"), null=True, blank=True)
    paid_on = models.DateField(_("payment made"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    concluded_on = models.DateField(_("concluded"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("eviction threat")
        verbose_name_plural = _("eviction threats")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(arrears_amount__isnull=True) | Q(arrears_amount__gte=0),
                name="threat_arrears_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(recovery_amount__isnull=True) | Q(recovery_amount__gte=0),
                name="threat_recovery_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(arrears_notice_on__isnull=True)
                | Q(termination_served_on__isnull=True)
                | Q(termination_served_on__gte=F("arrears_notice_on")),
                name="threat_termination_after_arrears_notice",
            ),
            models.CheckConstraint(
                condition=Q(termination_served_on__isnull=True)
                | Q(eviction_on__isnull=True)
                | Q(eviction_on__gte=F("termination_served_on")),
                name="threat_eviction_after_termination",
            ),
            models.CheckConstraint(
                condition=Q(recovery_deadline__isnull=True)
                | (
                    (
                        Q(termination_served_on__isnull=False)
                        | Q(application_served_on__isnull=False)
                    )
                    & (Q(board_notified_on__isnull=False) | Q(board_notice_given_on__isnull=False))
                    & ~Q(termination_notice="defective")
                    & Q(board_notice_amount_wrong=False)
                ),
                name="threat_deadline_needs_lawful_start",
            ),
            models.CheckConstraint(
                condition=Q(application_served_on__isnull=True) | Q(application_on__isnull=False),
                name="threat_application_served_needs_application",
            ),
            models.CheckConstraint(
                condition=Q(termination_notice="") | Q(termination_served_on__isnull=False),
                name="threat_notice_check_needs_termination",
            ),
            models.CheckConstraint(
                condition=Q(outcome="", concluded_on__isnull=True)
                | (~Q(outcome="") & Q(concluded_on__isnull=False)),
                name="threat_outcome_has_date",
            ),
            models.CheckConstraint(
                condition=Q(application_to="", application_on__isnull=True)
                | (~Q(application_to="") & Q(application_on__isnull=False)),
                name="threat_application_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def stage(self) -> str:
        if self.outcome:
            return self.Stage.CONCLUDED
        if self.eviction_on:
            return self.Stage.EVICTION_DATE
        if self.application_on:
            return self.Stage.APPLICATION
        if self.termination_served_on or self.board_notified_on or self.board_notice_given_on:
            return self.Stage.TERMINATION
        return self.Stage.ARREARS

    @property
    def recovery_deadline_at_the_latest(self) -> bool:
        """Counted from the board's receipt because the day the notice was given is not
        known: the lawful last day may be earlier (12 kap. 44 §: lämnats)."""
        return self.recovery_deadline is not None and self.board_notice_given_on is None

    def get_stage_display(self) -> str:
        return str(self.Stage(self.stage).label)
