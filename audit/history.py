"""The readable change history of a case or a person: every change of every registered
record, old → new, decrypted only where the reader may see the record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .registry import registry

# Never shown in the history: the row id and version counters (blind indexes neither).
SKIP = {"id", "version", "row_key"}  # row_key: binds ciphertext, means nothing to a reader


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class Change:
    when: datetime
    who: str
    what: str
    object_id: int
    kind: str  # "+", "~", "-"
    reason: str
    hidden: bool
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}.get(self.kind, self.kind)


def _display(f, value) -> str:
    if value is None or value == "":
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return date_format(value, "Y-m-d H:i")
    if isinstance(value, date):
        return value.isoformat()
    if f.is_relation:
        return f"#{value}"
    return str(value)


def _tracked(history_model) -> list:
    return [
        f
        for f in history_model._meta.concrete_fields
        if not f.name.startswith("history_") and f.name not in SKIP and not f.name.endswith("_bidx")
    ]


def changes(user, *, case_id: int | None = None, person_id: int | None = None) -> list[Change]:
    out: list[Change] = []
    for reg in registry.models.values():
        source = reg.history_for_case if case_id is not None else reg.history_for_person
        if source is None:
            continue
        rows = list(
            source(case_id if case_id is not None else person_id)
            .select_related("history_user")
            .order_by("id", "history_date", "history_id")
        )
        if not rows:
            continue
        hidden = reg.hidden_ids(user, {r.id for r in rows}) if reg.hidden_ids else set()
        tracked = _tracked(type(rows[0]))
        previous = {}
        for row in rows:
            prev = previous.get(row.id)
            previous[row.id] = row
            fields = []
            if row.history_type != "-":
                for f in tracked:
                    new = getattr(row, f.attname)
                    old = getattr(prev, f.attname) if prev is not None else None
                    if prev is not None and old == new:
                        continue
                    if prev is None and (new is None or new == ""):
                        continue
                    if row.id in hidden:
                        fields.append(FieldChange(str(f.verbose_name), "", ""))
                    else:
                        fields.append(
                            FieldChange(
                                str(f.verbose_name),
                                _display(f, old) if prev else "",
                                _display(f, new),
                            )
                        )
            u = row.history_user
            out.append(
                Change(
                    when=row.history_date,
                    who=(u.get_full_name() or u.username) if u else "",
                    what=str(reg.model._meta.verbose_name),
                    object_id=row.id,
                    kind=row.history_type,
                    reason=row.history_change_reason or "",
                    hidden=row.id in hidden,
                    fields=fields,
                )
            )
    out.sort(key=lambda c: c.when, reverse=True)
    return out
