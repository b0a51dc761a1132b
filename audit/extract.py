"""The data-subject extract (registerutdrag, GDPR art. 15): everything held about one
person, from every registered model and extract section (access grants), with its
history, the legal holds on the person and the access-log entries."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from .models import AccessLogEntry, LegalHold
from .registry import case_ids_of_person, registry

LOG_FIELDS = ["seq", "at", "user_id", "object_type", "object_id", "how", "ip", "case_id"]


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj, *, history: bool = False) -> dict:
    data = {}
    for f in obj._meta.concrete_fields:
        if (
            f.name.endswith("_bidx")
            or f.name == "row_key"
            or (history and f.name == "history_user")
        ):
            continue
        data[f.attname] = _plain(getattr(obj, f.attname))
    return data


def _records(qs) -> list[dict]:
    return [_row(o) for o in qs.order_by("pk")]


def _history(qs) -> list[dict]:
    return [
        _row(h, history=True) | {"history_user_id": h.history_user_id}
        for h in qs.order_by("history_date", "history_id")
    ]


def build(person_id: int) -> dict:
    records: dict[str, list[dict]] = {}
    history: dict[str, list[dict]] = {}

    def add(into: dict, label: str, rows: list[dict]) -> None:
        if rows:
            into[label] = rows

    for label, reg in sorted(registry.models.items()):
        if reg.records_of_person is not None:
            add(records, label, _records(reg.records_of_person(person_id)))
        if reg.history_for_person is not None:
            add(history, label, _history(reg.history_for_person(person_id)))
    for section in registry.extract_sections.values():
        for label, qs in section.records(person_id).items():
            add(records, label, _records(qs))
        for label, qs in section.history(person_id).items():
            add(history, label, _history(qs))
    holds = LegalHold._meta.label_lower
    add(records, holds, _records(LegalHold.objects.filter(person_id=person_id)))
    add(history, holds, _history(LegalHold.history.filter(person_id=person_id)))
    cases = case_ids_of_person(person_id)
    log = [
        {k: _plain(v) for k, v in zip(LOG_FIELDS, row, strict=True)}
        for row in AccessLogEntry.objects.filter(Q(person_id=person_id) | Q(case_id__in=cases))
        .order_by("seq")
        .values_list(*LOG_FIELDS)
    ]
    return {
        "person_id": person_id,
        "produced_at": timezone.now().isoformat(),
        "records": records,
        "history": history,
        "access_log": log,
    }
