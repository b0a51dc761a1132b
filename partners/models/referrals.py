"""Referrals from a case to a partner organisation (issue 20, point 2).

A referral moves proposed → sent → accepted or declined → attended → ended, each step
with its date. It carries only what the client consented to share with the partner: the
consent is recorded with the referral (when it was given and what it covers), and the
partner-facing summary is built from the consented items only.

Unlike the rest of the partners app this is a client's personal data: the free texts
(the need, the decline reason, the outcome note) are encrypted, the history is kept, and
the referral is registered with the audit app as a record of its case (history, access
log, retention, the data-subject extract: `partners/referrals/audit.py`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field
from cases.models import Case, Person

from .partners import Partner


class Referral(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        ATTENDED = "attended", _("Attended")
        ENDED = "ended", _("Ended")

    class Outcome(models.TextChoices):
        COMPLETED = "completed", _("Completed as planned")
        PARTLY = "partly", _("Partly completed")
        INTERRUPTED = "interrupted", _("Interrupted")
        NEVER_STARTED = "never_started", _("Never started")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("case")
    )
    # The member of the household referred: whose name and contact details the partner
    # may get (if the consent covers them).
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="referrals", verbose_name=_("client")
    )
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("partner")
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("referred by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    row_key = row_key_field()  # binds its encrypted values to this row
    # The client's need, as the client agreed it may be told to the partner.
    need = EncryptedTextField(_("need"), blank=True, default="")
    # Consent (samtycke): when the client agreed and what may be shared. Neither item:
    # the partner learns nothing about the client from Bo Kvar (the client goes there
    # on their own, the referral only tracks it).
    consent_on = models.DateField(_("consent given on"))
    share_contact = models.BooleanField(_("may share name and contact details"), default=False)
    share_need = models.BooleanField(_("may share the need"), default=False)
    proposed_on = models.DateField(_("proposed on"))
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    answered_on = models.DateField(_("accepted or declined on"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True, default="")
    attended_on = models.DateField(_("first attended on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=14, choices=Outcome.choices, blank=True, default=""
    )
    outcome_note = EncryptedTextField(_("what came of it"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("referral to a partner")
        verbose_name_plural = _("referrals to partners")
        ordering = ["-proposed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="ended", outcome__gt="") | ~Q(status="ended"),
                name="referral_ended_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def step_on(self):
        """The date of the step the referral is at."""
        return {
            self.Status.PROPOSED: self.proposed_on,
            self.Status.SENT: self.sent_on,
            self.Status.ACCEPTED: self.answered_on,
            self.Status.DECLINED: self.answered_on,
            self.Status.ATTENDED: self.attended_on,
            self.Status.ENDED: self.ended_on,
        }[self.Status(self.status)]
