"""The access log (append-only, hash-chained) and legal holds.

Access-log rows hold ids only: no name, identity number or free text, so the log may be
kept after retention culled the records it points to (the chain must survive)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from bokvar.fields import EncryptedTextField, row_key_field


class AppendOnlyError(Exception):
    """The access log cannot be changed or shortened."""


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("access-log entries cannot be updated")

    def delete(self):
        raise AppendOnlyError("access-log entries cannot be deleted")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("access-log entries cannot be updated")

    def _raw_delete(self, using):
        raise AppendOnlyError("access-log entries cannot be deleted")


class How(models.TextChoices):
    PAGE = "page", _("Page")
    API = "api", _("API")
    EXPORT = "export", _("Export")
    EXTRACT = "extract", _("Data-subject extract")
    # The auditor's identity-number search: finding someone is reading who they are.
    LOOKUP = "lookup", _("Identity-number lookup")
    # Not reads: a role, membership, role request or account status changed (issue 21,
    # point 3), and a sign-in by the break-glass superuser. Both are always flagged.
    ADMIN = "admin", _("Role or membership change")
    SUPERUSER = "superuser", _("Break-glass superuser sign-in")

    # A row of a list page: shown among others, not opened (the flag for unusually many
    # reads counts people opened, not rows listed).
    LIST = "list", _("Listed")


class AccessLogEntry(models.Model):
    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True, editable=False)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    # No database constraint: users are never deleted, and the log must not block it.
    # No index of its own: `accesslog_user` (user, at) serves every read by user, and
    # each index is written on every page's append (issue 22).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("user"),
    )
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.PositiveBigIntegerField(_("object id"))
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    ip = models.CharField(_("from"), max_length=45, blank=True)
    person_id = models.PositiveBigIntegerField(_("person id"), null=True, blank=True)
    case_id = models.PositiveBigIntegerField(_("case id"), null=True, blank=True)
    unit_id = models.PositiveBigIntegerField(_("unit id"), null=True, blank=True)
    protected = models.BooleanField(_("protected identity"), default=False)
    outside_unit = models.BooleanField(_("outside own unit"), default=False)
    # Decided at read time: the case was handed to one of the reader's units (a pending or
    # accepted handover, or read access left after one). An ad hoc grant is not one.
    via_handover = models.BooleanField(_("through a handover"), default=False, db_default=False)
    # The reader was refused (403/404) a case or person that exists: an attempt, flagged.
    denied = models.BooleanField(_("denied"), default=False, db_default=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        verbose_name = _("access-log entry")
        verbose_name_plural = _("access-log entries")
        indexes = [
            models.Index(fields=["person_id", "at"], name="accesslog_person"),
            models.Index(fields=["case_id", "at"], name="accesslog_case"),
            models.Index(fields=["user", "at"], name="accesslog_user"),
            # The people a reader opened on a day (the day as the auditor reads it, in
            # the installation's time zone): the flag for unusually many people opened
            # in a day steps from one person to the next, at most the threshold's number
            # of steps (audit.review.busy_pairs), not through every row the reader listed
            # or opened that day.
            models.Index(
                F("user"),
                TruncDate("at", tzinfo=ZoneInfo(settings.TIME_ZONE)),
                F("person_id"),
                name="accesslog_reader_days",
                condition=~Q(how="list") & Q(person_id__isnull=False),
            ),
            # The entries flagged by what they are (audit.review: refused, protected,
            # outside one's units without a handover, role changes and break-glass
            # sign-ins): a few among millions. The flagged filter's count read every entry
            # of the log without it (0.38 s at national scale, issue 22).
            models.Index(
                fields=["seq"],
                name="accesslog_flagged",
                condition=Q(denied=True)
                | Q(protected=True)
                | Q(outside_unit=True, via_handover=False)
                | Q(how__in=[How.ADMIN, How.SUPERUSER]),
            ),
        ]
        constraints = [models.CheckConstraint(condition=Q(seq__gte=1), name="accesslog_seq_pos")]

    def __str__(self) -> str:
        return f"#{self.seq}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("access-log entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("access-log entries cannot be deleted")


class ReadReview(models.Model):
    """An auditor's review of a flagged read: done, by whom, when, with a comment. The
    entry itself never changes (append-only); its review is this row and its history."""

    # No database constraint, as for the log's own user column: the log's guards
    # (append-only triggers, the insider checks that truncate it) must not meet a key.
    entry = models.OneToOneField(
        AccessLogEntry,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="review",
        verbose_name=_("access-log entry"),
    )
    row_key = row_key_field()  # binds its encrypted values to this row
    # The auditor's words may name someone: encrypted like every free text.
    comment = EncryptedTextField(_("comment"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("review of a read")
        verbose_name_plural = _("reviews of reads")

    def __str__(self) -> str:
        return f"#{self.pk}"


class ChainHead(models.Model):
    """Serialises appends where advisory locks do not exist (SQLite): one locked row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)

    def __str__(self) -> str:
        return "chain head"


class LegalHold(models.Model):
    """An auditor's order that a person's records are kept whatever retention says."""

    person_id = models.PositiveBigIntegerField(_("person id"), db_index=True)
    row_key = row_key_field()  # binds its encrypted values to this row
    reason = EncryptedTextField(_("reason"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("set by"),
    )
    set_at = models.DateTimeField(_("set"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.UniqueConstraint(
                fields=["person_id"],
                condition=Q(released_at__isnull=True),
                name="legalhold_one_active_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ExtractRelease(models.Model):
    """A register extract's review: an auditor approves it, then it is released (handed
    to the person). Producing it is logged in the access log (how "extract"); approving
    and releasing are this row and its history, each with the acting user."""

    person_id = models.PositiveBigIntegerField(_("person id"), db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved on"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released to the person"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("extract release")
        verbose_name_plural = _("extract releases")
        constraints = [
            models.CheckConstraint(
                condition=Q(released_at__isnull=True) | Q(released_by__isnull=False),
                name="extractrelease_released_by_someone",
            ),
            # One approval waiting for release per person at a time.
            models.UniqueConstraint(
                fields=["person_id"],
                condition=Q(released_at__isnull=True),
                name="extractrelease_one_pending_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class RetentionRun(models.Model):
    """One run of retention, persisted as it goes: it culls in batches that each commit
    with this row, so a run cut short (a crash, the worker's time limit) is resumed by the
    next one, at the same moment (so by the same cut-off) and after the last batch done.
    Ids and counts only: nothing about the people culled."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The highest person id culled so far (progress only: batches run at once commit in
    # any order; a resumed run re-plans, and whoever was culled is no longer in the plan).
    cursor = models.PositiveBigIntegerField(default=0)
    people = models.PositiveIntegerField(_("people culled"), default=0)
    # label -> rows deleted, over every batch of the run.
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"#{self.pk}"


class ChainCheckpoint(models.Model):
    """The end of the chain as last verified: a chain cut short after it is detected.
    Append-only like the log (model, queryset, trigger, privileges)."""

    seq = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    verified_at = models.DateTimeField(auto_now_add=True)
    # A sealed head's Ed25519 signature (audit/heads.py); empty for an unsigned checkpoint.
    signature = models.CharField(max_length=100, blank=True, default="", db_default="")

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        get_latest_by = "seq"

    def __str__(self) -> str:
        return f"#{self.seq}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("checkpoints cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("checkpoints cannot be deleted")


# Tables the application may only append to and read: the database refuses the rest
# (triggers, and the grants of `manage.py setup_database_roles`).
APPEND_ONLY_MODELS = [AccessLogEntry, ChainCheckpoint]
