"""Deadlines are rows: every date that matters. Reminders are notifications whose
dedupe key names the deadline, its date and the lead time, so each goes out once."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field

from .cases import Case
from .threats import EvictionThreat


class Deadline(models.Model):
    # Not columns: set by the "my deadlines" view on the rows it shows (the reminder
    # e-mails' wording and the working days left, as the threat panel shows them).
    status: str
    working_days: int
    case_openable: bool
    route_step: Any
    urgent: bool
    children: bool
    eviction_before_recovery: bool

    class Kind(models.TextChoices):
        RECOVERY = "recovery", _("Recovery deadline")
        EVICTION = "eviction", _("Eviction date")
        FOLLOW_UP = "follow_up", _("Agreed follow-up")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("case")
    )
    threat = models.ForeignKey(
        EvictionThreat,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deadlines",
        verbose_name=_("eviction threat"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    due_on = models.DateField(_("due"))
    row_key = row_key_field()  # binds its encrypted values to this row
    note = EncryptedTextField(_("note"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["done_at", "due_on"], name="deadline_open_due"),
            # A case's open deadlines: the deadlines badge looks them up for each open case
            # one answers for, in the open few of the country's deadlines (issue 22).
            models.Index(
                fields=["case", "due_on"],
                condition=models.Q(done_at__isnull=True),
                name="deadline_open_of_case",
            ),
        ]
        constraints = [
            # One recovery deadline and one eviction date per threat; sync updates them.
            models.UniqueConstraint(
                fields=["threat", "kind"],
                condition=Q(threat__isnull=False),
                name="deadline_one_per_threat_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="follow_up") | Q(threat__isnull=False),
                name="deadline_legal_has_threat",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"
