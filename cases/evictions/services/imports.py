"""CSV import of a landlord's batch of notices: every row is validated first; the batch
lands whole or not at all, and every rejected row is reported with its line number."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.history import system_user
from bokvar.models import User
from cases.models import Landlord, LandlordSignal

from .landlord_signals import SignalInput, build_signal, coordinated_district, save_new

COLUMNS = [
    "kind",
    "received_on",
    "personal_number",
    "name",
    "address",
    "arrears_amount",
    "description",
    "landlord_warned_tenant",
    "landlord_notified_board",
    "landlord_warned_tenant_on",
    "landlord_notified_board_on",
    "particularly_serious",
]
REQUIRED = ["kind", "received_on"]
TRUE, FALSE = {"1", "yes", "ja", "true", "j", "y"}, {"0", "no", "nej", "false", "n"}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("Line %(line)s, %(field)s: %(message)s") % {
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


class ImportRejected(Exception):
    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__(f"{len(errors)} rejected rows")


def _bool(value: str, field: str) -> bool | None:
    value = (value or "").strip().lower()
    if not value:
        return None
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ValidationError({field: _("Write yes or no.")})


def parse_date(value: str, field: str = "received_on") -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({field: _("Write the date as YYYY-MM-DD.")}) from exc


def separator(text: str) -> str:
    """`;` (what Excel writes with Swedish settings) or `,`, whichever the header uses."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def read_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(line, row) for each row, the line being where the row starts in the file (a
    quoted cell may run over several lines)."""
    reader = csv.reader(io.StringIO(text), delimiter=separator(text))
    header = next(reader, [])
    fieldnames = [name.strip() for name in header]
    missing = [c for c in REQUIRED if c not in fieldnames]
    if missing:
        raise ImportRejected(
            [RowError(1, ", ".join(missing), _("The header lacks required columns."))]
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    ended = reader.line_num
    for cells in reader:
        start, ended = ended + 1, reader.line_num
        if not cells:
            continue  # a blank line
        if len(cells) > len(fieldnames):
            rows.append((start, {"__extra__": True}))
            continue
        rows.append((start, dict(zip(fieldnames, cells, strict=False))))
    return rows


T = TypeVar("T")


def _parse_cell(
    row: dict[str, Any],
    field: str,
    parse: Callable[[str, str], T | None],
    found: dict[str, list[str]],
) -> T | None:
    """A cell the CSV spells its own way, parsed; its problem goes into `found`."""
    try:
        return parse(row.get(field, ""), field)
    except ValidationError as exc:
        found.update(exc.message_dict)
        return None


ProgressFn = Callable[[int], None]


def decode_upload(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportRejected([RowError(1, "file", _("The file is not UTF-8 text."))]) from exc


def validate_rows(
    *,
    landlord: Landlord,
    data: bytes | str,
    today: date | None = None,
    progress: ProgressFn | None = None,
) -> list[LandlordSignal]:
    """Every row checked; the signals built (unsaved), or ImportRejected listing every
    bad row. `progress(rows_checked)` is called as it goes."""
    today = today or timezone.localdate()
    rows = read_rows(decode_upload(data))
    if not rows:
        raise ImportRejected([RowError(1, "file", _("The file has no rows."))])
    errors: list[RowError] = []
    built: list[LandlordSignal] = []
    for checked, (line, row) in enumerate(rows, start=1):
        if progress is not None:
            progress(checked)
        if row.get("__extra__"):
            errors.append(RowError(line, "row", _("The row has more columns than the header.")))
            continue
        # Parse what the CSV spells its own way first, so one bad cell does not hide
        # the problems in the others.
        found: dict[str, list[str]] = {}
        received_on = _parse_cell(row, "received_on", parse_date, found)
        warned = _parse_cell(row, "landlord_warned_tenant", _bool, found)
        notified = _parse_cell(row, "landlord_notified_board", _bool, found)
        warned_on = _parse_cell(row, "landlord_warned_tenant_on", parse_date, found)
        notified_on = _parse_cell(row, "landlord_notified_board_on", parse_date, found)
        serious = _parse_cell(row, "particularly_serious", _bool, found)
        try:
            signal = build_signal(
                landlord,
                SignalInput(
                    kind=(row.get("kind") or "").strip(),
                    channel=LandlordSignal.Channel.IMPORT,
                    personal_number=row.get("personal_number") or "",
                    name=row.get("name") or "",
                    address=row.get("address") or "",
                    arrears_amount=row.get("arrears_amount") or None,
                    description=row.get("description") or "",
                    received_on=received_on,
                    landlord_warned_tenant=warned,
                    landlord_notified_board=notified,
                    landlord_warned_tenant_on=warned_on,
                    landlord_notified_board_on=notified_on,
                    particularly_serious=bool(serious),
                ),
                today=today,
            )
        except ValidationError as exc:
            found = {**exc.message_dict, **found}
        if found:
            for field, messages in found.items():
                errors.extend(RowError(line, field, m) for m in messages)
            continue
        built.append(signal)
    if errors:
        raise ImportRejected(errors)
    return built


def save_batch(
    built: list[LandlordSignal],
    *,
    actor: User | None,
    progress: ProgressFn | None = None,
) -> list[LandlordSignal]:
    """Save checked signals in one transaction: all of them or none."""
    # Rows the landlord and tenant do not place go to the importing coordinator's district
    # (if they coordinate just one); a batch from a landlord's system waits unplaced.
    fallback = coordinated_district(actor, None) if actor is not None else None
    saver = actor or system_user()
    saved: list[LandlordSignal] = []
    with transaction.atomic():
        for signal in built:
            saved.append(
                save_new(
                    signal, actor=saver, reason="signal imported", fallback_district_id=fallback
                )
            )
            if progress is not None:
                progress(len(saved))
    return saved


def import_signals(
    *, landlord: Landlord, data: bytes | str, actor: User | None = None, today: date | None = None
) -> list[LandlordSignal]:
    """Validate every row; save all or raise ImportRejected listing every bad row."""
    built = validate_rows(landlord=landlord, data=data, today=today)
    return save_batch(built, actor=actor)
