"""Who changed what, when, on a case page: field names from simple-history, never values
(the readable old → new view with decryption is the audit app's history page)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import JSONField, Model, OuterRef, Subquery
from django.utils.translation import gettext as _

from bokvar.history import field_label

from ..models import Case, CaseAssignment, Household, HouseholdChild, Person
from .selectors.rows import CaseRows, Of, instance_from_json, json_of

IGNORED = {"version", "name_bidx", "personal_number_bidx", "row_key"}


@dataclass(frozen=True)
class ChangeRow:
    when: datetime
    who: str
    what: str
    reason: str
    fields: list[str]
    kind: str


def _rows(
    model: type[Model], records: Iterable[Any], previous_of: dict[int, Any]
) -> list[ChangeRow]:
    """`previous_of`: {history id: the record before it}, read with the records
    (`_with_previous`), never one query per record."""
    rows = []
    for record in records:
        previous = previous_of.get(record.history_id)
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


CHANGES_SHOWN = 15


def _changes(
    key: str, model: type[Model], where: Callable[[Of, int], dict[str, Any]], limit: int
) -> CaseRows:
    """The newest `limit` history records of `model` about a case (`where(of, depth)`:
    the filter), each with the record before it as `previous` (a JSON object, made an
    instance by `_merge`), in one query. simple-history's `prev_record` is the same
    object's latest earlier record, whatever `where` filters."""

    def rows(request: Any, of: Of) -> Any:
        history = model.history  # type: ignore[attr-defined]
        newest = (
            history.filter(**where(of, 2))
            .order_by("-history_date", "-history_id")
            .values("history_id")[:limit]
        )
        previous = (
            history.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
            .order_by("-history_date", "-history_id")
            .values(row=json_of(history.model))[:1]
        )
        return (
            history.filter(history_id__in=newest)
            .annotate(previous=Subquery(previous, output_field=JSONField()))
            .order_by("-history_date", "-history_id")
        )

    return CaseRows(key, rows, related=("history_user",))


def _sources(limit: int) -> list[tuple[type[Model], CaseRows]]:
    return [
        (Case, _changes("changes_case", Case, lambda of, d: {"id": of("pk", d)}, limit)),
        (
            Household,
            _changes(
                "changes_household", Household, lambda of, d: {"id": of("household_id", d)}, limit
            ),
        ),
        (
            Person,
            _changes(
                "changes_people",
                Person,
                lambda of, d: {"household_id": of("household_id", d)},
                limit,
            ),
        ),
        (
            HouseholdChild,
            _changes(
                "changes_children",
                HouseholdChild,
                lambda of, d: {"household_id": of("household_id", d)},
                limit,
            ),
        ),
        (
            CaseAssignment,
            _changes(
                "changes_assignments", CaseAssignment, lambda of, d: {"case_id": of("pk", d)}, limit
            ),
        ),
    ]


# The case page's changes, read with its other lists (`cases/case_page.py` ROWS).
CHANGES = _sources(CHANGES_SHOWN)
ROWS = [rows for _model, rows in CHANGES]


def case_changes(case: Case, *, limit: int = CHANGES_SHOWN) -> list[ChangeRow]:
    """The case's latest changes: five queries (one per kind of record)."""
    return _merge([(model, rows.read(None, case)) for model, rows in _sources(limit)], limit)


def case_changes_for_page(request: Any, case: Case) -> list[ChangeRow]:
    """`case_changes` from the lists the page read (or reads now), once per request."""
    return _merge([(model, rows.for_page(request, case)) for model, rows in CHANGES], CHANGES_SHOWN)


def _merge(found: list[tuple[type[Model], list[Any]]], limit: int) -> list[ChangeRow]:
    rows: list[ChangeRow] = []
    for model, records in found:
        history = model.history.model  # type: ignore[attr-defined]
        previous_of = {
            r.history_id: instance_from_json(history, _loaded(r.previous)) for r in records
        }
        rows.extend(_rows(model, records, previous_of))
    rows.sort(key=lambda r: r.when, reverse=True)
    return rows[:limit]


def _loaded(value: Any) -> Any:
    """A JSON value read alone comes as text, read with the page's other lists as data."""
    return json.loads(value) if isinstance(value, str) else value
