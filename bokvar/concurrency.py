"""Optimistic locking: a record carries a version; an edit names the version it was
based on, and if someone saved in between, the edit is refused and the user is told
what changed (field names and who, never values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar, runtime_checkable

from django.db import models
from django.utils.translation import gettext as _

from .history import field_label


@dataclass
class Change:
    who: str
    when: datetime
    fields: list[str] = field(default_factory=list)


class ConflictError(Exception):
    def __init__(self, changes: list[Change]):
        self.changes = changes
        super().__init__(self.message)

    @property
    def message(self) -> str:
        parts = [
            _("%(who)s changed %(fields)s at %(when)s")
            % {
                "who": c.who,
                "fields": ", ".join(c.fields) or _("the record"),
                "when": c.when.strftime("%Y-%m-%d %H:%M"),
            }
            for c in self.changes
        ]
        return _(
            "Someone else saved this record while you were editing it. Nothing of yours was saved."
        ) + (" " + "; ".join(parts) + "." if parts else "")


M = TypeVar("M", bound=models.Model)


@runtime_checkable
class Versioned(Protocol):
    """A record under optimistic locking: a `version` column counted up on each save,
    and simple-history's `history` manager to tell what changed in between."""

    version: int
    history: Any  # simple-history ships no types


def versioned(instance: models.Model) -> Versioned:
    """`instance` as a versioned record; a model without a version column is a
    programming error, refused here rather than as an AttributeError later."""
    if not isinstance(instance, Versioned):
        raise TypeError(f"{type(instance).__name__} has no version column to lock on")
    return instance


def lock_version(model: type[M], pk: int, expected_version: int) -> M:
    """Lock the row; raise ConflictError if it moved on from `expected_version`.
    Returns the row as its own model class, so callers keep its fields' types."""
    instance = model._default_manager.select_for_update().get(pk=pk)
    if versioned(instance).version != expected_version:
        raise ConflictError(changes_since(instance, expected_version))
    return instance


def changes_since(instance: models.Model, version: int) -> list[Change]:
    records = list(
        versioned(instance)
        .history.filter(version__gte=version)
        .select_related("history_user")
        .order_by("history_date")
    )
    changes: list[Change] = []
    for previous, current in zip(records, records[1:], strict=False):
        delta = current.diff_against(previous)
        names = [field_label(instance, c.field) for c in delta.changes if c.field != "version"]
        who = current.history_user.get_full_name() if current.history_user else _("the system")
        changes.append(
            Change(
                who=who or current.history_user.username, when=current.history_date, fields=names
            )
        )
    return changes


def bump(instance: models.Model) -> None:
    versioned(instance).version += 1
