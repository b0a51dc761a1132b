"""A landlord's CSV batch of signals, imported in the background (issue 22, point 6):
the upload answers at once, a worker validates and saves the batch whole or not at
all, and the page shows how far it has come."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from bokvar.fields import EncryptedTextField, row_key_field

from .landlords import Landlord


class SignalImport(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        VALIDATING = "validating", _("Checking rows")
        SAVING = "saving", _("Saving")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Nothing imported: rows to correct")
        FAILED = "failed", _("Nothing imported: the import failed")

    landlord = models.ForeignKey(
        Landlord, on_delete=models.PROTECT, related_name="+", verbose_name=_("landlord")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The requester's language: row errors are written in it by the worker.
    language = models.CharField(max_length=10)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="queued")
    total_rows = models.PositiveIntegerField(default=0)
    # Rows checked, then rows saved: what the progress bar shows.
    done_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    row_key = row_key_field()  # binds its encrypted values to this row
    # The uploaded file, encrypted, and emptied once the import has ended.
    data = EncryptedTextField()
    # The rejected rows ("line, field: message"), one a line; no cell values.
    errors = EncryptedTextField()

    class Meta:
        verbose_name = _("signal import")
        verbose_name_plural = _("signal imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.landlord_id} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.REJECTED, self.State.FAILED}

    @property
    def percent(self) -> int:
        if self.state == self.State.DONE:
            return 100
        if not self.total_rows:
            return 0
        # Checking is the first half of the work, saving the second.
        half = 0 if self.state in {self.State.QUEUED, self.State.VALIDATING} else 50
        return min(100, half + (50 * self.done_rows) // self.total_rows)
