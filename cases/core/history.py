"""Who changed what, when, on a case page: field names from simple-history, never values
(the readable old → new view with decryption is the audit app's history page)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _

from bokvar.history import field_label

from ..models import Case, CaseAssignment, Household, HouseholdChild, Person

IGNORED = {"version", "name_bidx", "personal_number_bidx", "row_key"}


@dataclass(frozen=True)
class ChangeRow:
    when: datetime
    who: str
    what: str
    reason: str
    fields: list[str]
    kind: str


def _rows(model: type[Model], records: Iterable[Any]) -> list[ChangeRow]:
    rows = []
    for record in records:
        previous = record.prev_record
        if record.history_type == "~" and previous is not None:
            delta = record.diff_against(previous)
            fields = [field_label(model, c.field) for c in delta.changes if c.field not in IGNORED]
        else:
            fields = []
        user = record.history_user
        rows.append(
            ChangeRow(
                when=record.history_date,
                who=(user.get_full_name() or user.username) if user else _("System"),
                what=str(model._meta.verbose_name),
                reason=record.history_change_reason or "",
                fields=fields,
                kind=record.history_type,
            )
        )
    return rows


def case_changes(case: Case, *, limit: int = 15) -> list[ChangeRow]:
    sources = [
        (Case, Case.history.filter(id=case.pk)),
        (Household, Household.history.filter(id=case.household_id)),
        (Person, Person.history.filter(household_id=case.household_id)),
        (HouseholdChild, HouseholdChild.history.filter(household_id=case.household_id)),
        (CaseAssignment, CaseAssignment.history.filter(case_id=case.pk)),
    ]
    rows: list[ChangeRow] = []
    for model, qs in sources:
        rows.extend(
            _rows(model, qs.select_related("history_user").order_by("-history_date")[:limit])
        )
    rows.sort(key=lambda r: r.when, reverse=True)
    return rows[:limit]
