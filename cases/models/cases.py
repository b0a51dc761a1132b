from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from bokvar.models import Unit

from .people import Household


class Case(models.Model):
    class Kind(models.TextChoices):
        EVICTION_PREVENTION = "eviction_prevention", _("Eviction prevention")
        HOMELESSNESS = "homelessness", _("Homelessness")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        LEASE_KEPT = "lease_kept", _("Lease kept")
        RECOVERED_BY_PAYMENT = "recovered_by_payment", _("Lease recovered by payment")
        MOVED_TO_OTHER_HOUSING = "moved_to_other_housing", _("Moved to other housing")
        EVICTED = "evicted", _("Evicted")
        HOUSED = "housed", _("Housed")
        OTHER = "other", _("Other")

    number = models.CharField(_("case number"), max_length=20, unique=True, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="cases", verbose_name=_("household")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    responsible_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="cases", verbose_name=_("responsible unit")
    )
    opened_on = models.DateField(_("opened"), default=timezone.localdate)
    closed_on = models.DateField(_("closed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, choices=Outcome.choices, blank=True)
    # Who in the responsible unit carries the case: named when a unit accepts a handover
    # of it (issue 19), so a case handed over never lands with "the unit" and nobody.
    responsible_caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible caseworker"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)
    # Whether anybody is assigned to the case, kept by the database itself (triggers of
    # migration 0029, on both engines; what a writer gives is replaced): the deadlines
    # one answers for include those of one's units' open cases nobody is assigned to,
    # counted on every page of case staff, and from here they are a probe of an index
    # of the unassigned (issue 22). Not in the history: the assignments' history has it.
    assigned = models.BooleanField(default=False, db_default=False, editable=False)
    history = HistoricalRecords(excluded_fields=["assigned"])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_on", "-id"]
        indexes = [
            models.Index(fields=["responsible_unit", "status"], name="case_unit_status"),
            models.Index(fields=["status", "-opened_on"], name="case_status_opened"),
            # The case list's order: the first page is read from the index, and the
            # permission filter is applied to rows as they come, not to every case. The
            # unit and status are in the index too, so a coordinator's walk through the
            # country's cases to find their district's page (and its open ones) is read
            # from the index alone: on the table, each case passed over was a page read
            # (964 rows and 1,435 buffers for a first page at national scale, issue 22).
            models.Index(
                fields=["-opened_on", "-id"],
                include=["responsible_unit", "status"],
                name="case_list_ids",
            ),
            # The open cases of a unit nobody is assigned to (the deadlines badge).
            models.Index(
                fields=["responsible_unit", "id"],
                condition=Q(status="open", assigned=False),
                name="case_unassigned_of_unit",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True, outcome="")
                | (Q(status="closed", closed_on__isnull=False) & ~Q(outcome="")),
                name="case_closed_has_date_and_outcome",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="case_closed_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseAssignment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_assignments"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    # The case's status, copied here by the database itself (triggers of migrations 0027
    # and 0029, on both engines): whatever writes an assignment or changes a case, it is
    # the case's own. The deadlines one answers for are counted on every page of case
    # staff (the navigation's badge); from here they are read among one's open cases
    # only, not among every case one was ever assigned (issue 22). Not in the history:
    # it is the case's, and the case's history has it.
    case_open = models.BooleanField(default=True, editable=False)
    history = HistoricalRecords(excluded_fields=["case_open"])

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="assignment_unique")]
        indexes = [
            # One's open cases (the deadlines one answers for).
            models.Index(
                fields=["user", "case"], condition=Q(case_open=True), name="assignment_open_of_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.user_id}"


class CaseNumberSequence(models.Model):
    """The last case number handed out per year; locked while a number is drawn."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}:{self.last}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    # Who gave or took away access, and why.
    history = HistoricalRecords()


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    history = HistoricalRecords()
