"""A landlord's CSV batch imported in the background (issue 22, point 6). The upload
is checked for size and stored encrypted; a worker checks every row, then saves the
batch in one transaction (whole or not at all) and reports its progress on the way.
A task delivered again after a worker died starts the import over: checking reads
only, and a save cut off in the middle was rolled back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bokvar.conf import setting
from bokvar.models import User
from cases.models import Landlord, LandlordSignal, SignalImport

from . import imports

logger = logging.getLogger(__name__)

# How often progress is written while the rows are worked through.
PROGRESS_EVERY_SECONDS = 1.0


@dataclass(frozen=True)
class Submitted:
    """A small batch is imported at once (`created`); a large one is queued (`job`)."""

    created: list[LandlordSignal] = field(default_factory=list)
    job: SignalImport | None = None


def submit(*, actor: User, landlord: Landlord, data: bytes, language: str) -> Submitted:
    """Refuse a file over the limits (a ValidationError naming `file`); import a small
    batch in the request; queue a larger one for a worker. Both land whole or not at all;
    a small batch with bad rows raises ImportRejected."""
    max_bytes = setting("SIGNAL_IMPORT_MAX_BYTES")
    if len(data) > max_bytes:
        raise ValidationError(
            {
                "file": _("The file is larger than %(size)s MB: split it into smaller batches.")
                % {"size": max_bytes // 1_000_000}
            }
        )
    try:
        text = imports.decode_upload(data)
        rows = len(imports.read_rows(text))
    except imports.ImportRejected as exc:
        raise ValidationError({"file": [str(e) for e in exc.errors]}) from exc
    max_rows = setting("SIGNAL_IMPORT_MAX_ROWS")
    if rows > max_rows:
        raise ValidationError(
            {
                "file": _("The file has %(rows)s rows; at most %(max)s are imported at once.")
                % {"rows": rows, "max": max_rows}
            }
        )
    if rows <= setting("SIGNAL_IMPORT_BACKGROUND_ROWS"):
        return Submitted(created=imports.import_signals(landlord=landlord, data=text, actor=actor))
    from cases.evictions.tasks import run_signal_import

    job = SignalImport.objects.create(
        landlord=landlord, requested_by=actor, language=language, total_rows=rows, data=text
    )
    transaction.on_commit(lambda: run_signal_import.delay(job.pk))
    return Submitted(job=job)


class _Progress:
    """Writes how many rows are done at most once a second. While the batch is being
    saved inside its transaction, it writes through a connection of its own, so the
    page sees the count before the batch commits (PostgreSQL; the embedded SQLite has
    one writer at a time, so there the page shows "Saving" until the end)."""

    def __init__(self, job_id: int, *, side_connection: bool) -> None:
        self.job_id = job_id
        self.last = 0.0
        self.side = None
        if side_connection and connection.vendor == "postgresql":
            self.side = connections.create_connection("default")

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = now
        if self.side is None:
            SignalImport.objects.filter(pk=self.job_id).update(done_rows=done)
            return
        table = self.side.ops.quote_name(SignalImport._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET done_rows = %s WHERE id = %s",  # noqa: S608 - a model's table
                [done, self.job_id],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _claim(job_id: int) -> bool:
    unfinished = [
        SignalImport.State.QUEUED,
        SignalImport.State.VALIDATING,
        SignalImport.State.SAVING,
    ]
    return bool(
        SignalImport.objects.filter(pk=job_id, state__in=unfinished).update(
            state=SignalImport.State.VALIDATING, done_rows=0
        )
    )


def _finish(job: SignalImport, state: str, **fields: object) -> None:
    job.state = state
    job.finished_at = timezone.now()
    job.data = ""  # the file's personal data is not kept once it is imported or refused
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=["state", "finished_at", "data", "done_rows", *fields])


def run_import(job_id: int, *, on_row_saved: Callable[[int], None] | None = None) -> str:
    """Check and save one queued import; returns its final state."""
    if not _claim(job_id):
        return "skipped"
    job = SignalImport.objects.select_related("landlord", "requested_by").get(pk=job_id)
    with translation.override(job.language):
        try:
            checking = _Progress(job.pk, side_connection=False)
            built = imports.validate_rows(landlord=job.landlord, data=job.data, progress=checking)
        except imports.ImportRejected as exc:
            _finish(job, SignalImport.State.REJECTED, errors="\n".join(str(e) for e in exc.errors))
            return job.state
        SignalImport.objects.filter(pk=job.pk).update(state=SignalImport.State.SAVING, done_rows=0)
        saving = _Progress(job.pk, side_connection=True)

        def progress(done: int) -> None:
            saving(done)
            if on_row_saved is not None:
                on_row_saved(done)

        try:
            with transaction.atomic():
                saved = imports.save_batch(built, actor=job.requested_by, progress=progress)
                saving.close()  # before the row is written below, in this transaction
                job.done_rows = len(saved)
                _finish(job, SignalImport.State.DONE, created_count=len(saved))
        except Exception as exc:
            saving.close()
            # The type only: a message could quote a cell of the file.
            logger.error("signal import %s failed: %s", job.pk, type(exc).__name__)
            _finish(
                job,
                SignalImport.State.FAILED,
                errors=_("The import failed and nothing was saved. Try again, or ask support."),
            )
            return job.state
    return job.state
