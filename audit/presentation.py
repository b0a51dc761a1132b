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

from bokvar.models import Membership, Role, Unit, User

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


Post = tuple[datetime, int, str]  # when, which membership, "Unit (role)" ("" once ended)


def _posts_at(entries: list[AccessLogEntry]) -> dict[int, list[Post]]:
    """{user id: [(when a post began or changed, "Unit (role)" or "" when it ended)]}:
    every change of the readers' memberships, from the memberships' history, so that a
    read is told with the unit and role the reader had at the time (one query)."""
    changes: dict[int, list[Post]] = {}
    readers = {e.user_id for e in entries if e.user_id}
    rows = list(
        Membership.history.filter(user_id__in=readers)
        .order_by("history_date", "history_id")
        .values_list("history_date", "id", "user_id", "unit_id", "role", "history_type")
    )
    units = Unit.objects.in_bulk({unit_id for _d, _i, _u, unit_id, _r, _t in rows})
    roles = dict(Role.choices)
    for when, membership, user_id, unit_id, role, kind in rows:
        label = ""
        unit = units.get(unit_id)
        if kind != "-" and unit is not None:
            label = _("%(unit)s (%(role)s)") % {
                "unit": unit.name,
                "role": str(roles.get(role, role)).lower(),
            }
        changes.setdefault(user_id, []).append((when, membership, label))
    return changes


def _posts(changes: list[Post], at: datetime) -> str:
    """The posts held at `at`, from the changes in time order."""
    held: dict[int, str] = {}
    for when, membership, label in changes:
        if when > at:
            break
        if label:
            held[membership] = label
        else:
            held.pop(membership, None)
    return ", ".join(sorted(held.values()))


def _reads(entries: list[AccessLogEntry]) -> list[dict]:
    """Who has read the data: when, the unit and role the reader had then, how, and the
    reader's name where the rule below allows.

    The rule. Every read names the unit and role (GDPR art. 15(1)(c) and the dates and
    purposes of consultations, CJEU C-579/21 Pankki S, paras. 72-75). Staff who read as
    members of a unit are named: they act as officials of the municipality, whose names
    in a matter are public under the principle of public access (TF 2 kap.) and not
    secret under OSL (OSL 26 kap. 1 § protects the client's circumstances, not the
    official's name), and a citizen needs the name to pursue a read they believe was
    unlawful, which is where Pankki S (paras. 80-83) lets the employee's identity be
    given. A reader who held no post in any unit at the time (an account without a
    unit, the system) is not named: nothing ties the read to a public office, so the
    balancing of art. 15(4) and Pankki S falls to the reader's own privacy; the read is
    still listed, as "a member of staff without a unit"."""
    staff = User.objects.in_bulk({e.user_id for e in entries if e.user_id})
    posts_of = _posts_at(entries)
    reads = []
    for e in entries:
        posts = _posts(posts_of.get(e.user_id, []), e.at) if e.user_id else ""
        # Named only with a post at the time (the rule above).
        name = _staff(staff.get(e.user_id)) or _("Unknown user")
        who = name if posts else _("A member of staff without a unit")
        reads.append({"at": local(e.at), "who": who, "posts": posts, "how": e.get_how_display()})
    return reads


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
    reads = _reads(entries)
    return ReadableExtract(
        produced_at=local(timezone.now()),
        since=local(min(earliest)) if earliest else "",
        topics=topics,
        reads=reads,
        retention_years=settings.RETENTION_YEARS,
        withheld_total=sum(t.withheld for t in topics),
    )


def as_json(extract: ReadableExtract) -> dict:
    """The readable extract for machines (the JSON file handed over with the PDF): the
    same topics, words and values as the page and the PDF, in the reader's language, with
    no internal id and other people's data withheld. Only the keys are fixed English
    words, for programs. The complete dump with ids (`extract.build`) stays internal."""
    return {
        "produced_at": extract.produced_at,
        "held_since": extract.since,
        "retention_years": extract.retention_years,
        "withheld_values": extract.withheld_total,
        "topics": [
            {
                "title": topic.title,
                "entries": [dict(row) for row in topic.rows],
                "earlier_versions": topic.earlier_versions,
                "withheld_values": topic.withheld,
            }
            for topic in extract.topics
        ],
        "reads": [
            {"at": r["at"], "who": r["who"], "unit_and_role": r["posts"], "how": r["how"]}
            for r in extract.reads
        ],
    }
