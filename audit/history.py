"""The readable change history of a case or a person: every change of every registered
record, old → new, in the reader's language and local time, decrypted only where the
reader may see the record, and values that point at other records by their names."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from bokvar.history import label_of, reason_label

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


# pk -> readable name, per related model (a pk absent: the record is gone or hidden).
Names = dict[type[models.Model], dict[int, str]]


def _display(f, value, names: Names, hidden: dict[type[models.Model], set[int]]) -> str:
    if value is None or value == "":
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        # Stored in UTC; the reader reads Swedish (or their own) local time.
        return date_format(
            timezone.localtime(value) if timezone.is_aware(value) else value, "Y-m-d H:i"
        )
    if isinstance(value, date):
        return value.isoformat()
    if f.is_relation:
        target = f.related_model
        if value in hidden.get(target, ()):
            return _("(protected identity)")
        return names.get(target, {}).get(value) or _("(removed)")
    return str(value)


def _tracked(history_model) -> list:
    return [
        f
        for f in history_model._meta.concrete_fields
        if not f.name.startswith("history_") and f.name not in SKIP and not f.name.endswith("_bidx")
    ]


def _names(user, wanted: dict[type[models.Model], set[int]]) -> tuple[Names, dict]:
    """Readable names of the records the history's values point at: per related model,
    one query for the rows (and the registration's own for hidden ones and names),
    however many history rows point at them."""
    names: Names = {}
    hidden: dict[type[models.Model], set[int]] = {}
    for model, ids in wanted.items():
        reg = registry.models.get(model._meta.label_lower)
        hidden[model] = reg.hidden_ids(user, ids) if reg and reg.hidden_ids else set()
        rows = model._default_manager.in_bulk(ids - hidden[model])
        display = registry.display_names.get(model._meta.label_lower)
        if display is not None:
            names[model] = display(user, list(rows.values()))
            hidden[model] |= set(rows) - set(names[model])
        else:
            names[model] = {pk: str(row) for pk, row in rows.items()}
    return names, hidden


def changes(user, *, case_id: int | None = None, person_id: int | None = None) -> list[Change]:
    loaded: list[tuple[Any, list, set[int], list]] = []
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
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
        loaded.append((reg, rows, hidden, tracked))
        for f in tracked:
            if f.is_relation and f.related_model is not None:
                wanted[f.related_model] |= {
                    v for r in rows if r.id not in hidden and (v := getattr(r, f.attname))
                }
    names, hidden_targets = _names(user, wanted)
    out: list[Change] = []
    for reg, rows, hidden, tracked in loaded:
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
                    label = label_of(f)
                    if row.id in hidden:
                        fields.append(FieldChange(label, "", ""))
                    else:
                        fields.append(
                            FieldChange(
                                label,
                                _display(f, old, names, hidden_targets) if prev else "",
                                _display(f, new, names, hidden_targets),
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
                    reason=reason_label(row.history_change_reason or ""),
                    hidden=row.id in hidden,
                    fields=fields,
                )
            )
    out.sort(key=lambda c: c.when, reverse=True)
    return out
