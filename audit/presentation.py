"""The data-subject extract as a citizen reads it (registerutdrag, GDPR art. 15).

`extract.build` is the complete dump for machines (JSON). This module turns the same
rows into what a person can read: grouped by topic (one heading per kind of record), in
the reader's language (Swedish by default), with local times, display values instead of
codes, staff by name, and no internal ids. What concerns other people (a co-tenant's
identity number, a signal naming someone else) is withheld with a note saying so; the
domain says which fields those are through `audit.registry.register_extract_redaction`.

GDPR art. 15(1) lists what the answer must say: the purposes (a), the categories of data
(b), the recipients (c), how long the data are kept (d), where they came from (g). Art.
15(4): the copy must not adversely affect the rights and freedoms of others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.models import User

from .models import AccessLogEntry, LegalHold
from .registry import case_ids_of_person, registry

# Columns never shown to the citizen: keys, codes for machines, bookkeeping.
SKIPPED = {
    "id",
    "version",
    "dedupe_key",
    "url",
    "email_claimed_at",
    "email_attempts",
    "seq",
    "row_key",
}


@dataclass
class Topic:
    title: str
    rows: list[list[tuple[str, str]]] = field(default_factory=list)
    earlier_versions: int = 0
    withheld: int = 0  # fields withheld because they concern someone else


@dataclass
class ReadableExtract:
    produced_at: str
    since: str
    topics: list[Topic]
    reads: list[dict]
    retention_years: int
    withheld_total: int


def local(value: datetime | date) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _staff(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def display(obj: models.Model, f: models.Field) -> str | None:
    """The value a person reads, or None where nothing is to be shown."""
    if f.primary_key or f.name in SKIPPED or f.name.endswith("_bidx"):
        return None
    if isinstance(f, models.ForeignKey):
        target = getattr(obj, f.name, None)
        if target is None:
            return None
        if isinstance(target, User):
            return _staff(target)
        text = str(target)
        # "#12" is an internal id, not a name: leave it out.
        return None if text.startswith("#") or text.isdigit() else text
    value = getattr(obj, f.attname)
    if value in (None, ""):
        return None
    if f.choices:
        return str(getattr(obj, f"get_{f.name}_display")())
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime | date):
        return local(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}".replace(".", ",")
    if f.name.endswith("_id") or f.name.endswith("object_pk"):
        return None
    return str(value)


def _row(person_id: int, obj: models.Model) -> tuple[list[tuple[str, str]], int]:
    redact = registry.extract_redactions.get(obj._meta.label_lower)
    others = redact(person_id, obj) if redact else set()
    row = []
    for f in obj._meta.concrete_fields:
        if f.name in others:
            if getattr(obj, f.attname) not in (None, ""):
                row.append((str(f.verbose_name).capitalize(), _("Withheld: about another person")))
            continue
        shown = display(obj, f)
        if shown is not None:
            row.append((str(f.verbose_name).capitalize(), shown))
    return row, len([n for n in others if getattr(obj, n, "")])


def _topic(person_id: int, model, qs, history_count: int) -> Topic:
    topic = Topic(title=str(model._meta.verbose_name_plural).capitalize())
    for obj in qs.order_by("pk"):
        row, withheld = _row(person_id, obj)
        topic.withheld += withheld
        if row:
            topic.rows.append(row)
    topic.earlier_versions = history_count
    return topic


def readable(person_id: int) -> ReadableExtract:
    topics: list[Topic] = []
    earliest: list[datetime] = []
    sources: list[tuple] = []
    for reg in registry.models.values():
        if reg.records_of_person is None:
            continue
        history = reg.history_for_person(person_id) if reg.history_for_person else None
        sources.append((reg.model, reg.records_of_person(person_id), history))
    for section in registry.extract_sections.values():
        history_of = section.history(person_id)
        for label, qs in section.records(person_id).items():
            sources.append((qs.model, qs, history_of.get(label)))
    sources.append(
        (
            LegalHold,
            LegalHold.objects.filter(person_id=person_id),
            LegalHold.history.filter(person_id=person_id),
        )
    )
    for model, qs, history in sources:
        count = history.count() if history is not None else 0
        topic = _topic(person_id, model, qs, count)
        if topic.rows:
            topics.append(topic)
        if history is not None:
            first = history.order_by("history_date").values_list("history_date", flat=True)
            if first[:1]:
                earliest.append(first[0])
    topics.sort(key=lambda t: t.title)
    cases = case_ids_of_person(person_id)
    entries = list(
        AccessLogEntry.objects.filter(Q(person_id=person_id) | Q(case_id__in=cases)).order_by("seq")
    )
    staff = User.objects.in_bulk({e.user_id for e in entries if e.user_id})
    reads = [
        {
            "at": local(e.at),
            "who": _staff(staff.get(e.user_id)) or _("Unknown user"),
            "how": e.get_how_display(),
        }
        for e in entries
    ]
    return ReadableExtract(
        produced_at=local(timezone.now()),
        since=local(min(earliest)) if earliest else "",
        topics=topics,
        reads=reads,
        retention_years=settings.RETENTION_YEARS,
        withheld_total=sum(t.withheld for t in topics),
    )
