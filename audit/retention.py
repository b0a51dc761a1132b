"""Retention (gallring): a person's records go five years (RETENTION_YEARS) after the
last entry about them, over every registered model and its history. Kept: people under
a legal hold, people born on a research day, and anyone whose records are bound up with
someone kept (a shared household). Records about nobody registered (unlinked landlord
signals) follow their registered rule (`register_orphan_rule`). Released legal holds of a
culled person go with them. Access-log entries stay: they hold ids only and the hash
chain must stay whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from .models import LegalHold
from .registry import last_entry_of, registry


@dataclass
class Plan:
    cutoff: datetime
    cull: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    research: list[int] = field(default_factory=list)
    entangled: list[int] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Records about nobody registered, by rule key: due, and kept for research.
    orphans: dict[str, list[int]] = field(default_factory=dict)
    orphans_research: dict[str, list[int]] = field(default_factory=dict)


def cutoff(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    years = settings.RETENTION_YEARS
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def plan(now: datetime | None = None) -> Plan:
    result = Plan(cutoff=cutoff(now))
    providers = sorted(registry.retention.values(), key=lambda p: (p.order, p.key))
    subjects: set[int] = set()
    for provider in providers:
        subjects.update(provider.subjects())
    due = set()
    for person_id in subjects:
        last = last_entry_of(person_id)
        if last is None or last < result.cutoff:
            due.add(person_id)
    held = due & set(
        LegalHold.objects.filter(released_at__isnull=True).values_list("person_id", flat=True)
    )
    due -= held
    research: set[int] = set()
    for provider in providers:
        research |= provider.research_kept(due)
    due -= research
    entangled: set[int] = set()
    while True:  # until no provider finds a kept person bound up with a culled one
        more = set()
        for provider in providers:
            more |= provider.entangled(due)
        if not more:
            break
        entangled |= more
        due -= more
    result.cull = sorted(due)
    result.held = sorted(held)
    result.research = sorted(research)
    result.entangled = sorted(entangled)
    for key, rule in sorted(registry.orphans.items()):
        orphan_due, orphan_research = rule.due(result.cutoff)
        result.orphans[key] = sorted(orphan_due)
        result.orphans_research[key] = sorted(orphan_research)
    return result


def apply(*, dry_run: bool, now: datetime | None = None) -> Plan:
    result = plan(now)
    if dry_run:
        return result
    ids = set(result.cull)
    if ids:
        for provider in sorted(registry.retention.values(), key=lambda p: (p.order, p.key)):
            for label, n in provider.cull(ids).items():
                result.counts[label] = result.counts.get(label, 0) + n
        result.counts["audit.legalhold"] = _cull_released_holds(ids)
    for key, rule in sorted(registry.orphans.items()):
        if result.orphans[key]:
            result.counts[key] = rule.cull(set(result.orphans[key]))
    return result


def _cull_released_holds(ids: set[int]) -> int:
    """A released hold's reason is about the person: it goes with them (an active hold
    kept them, so none is active here)."""
    holds = LegalHold.objects.filter(person_id__in=ids, released_at__isnull=False)
    n = holds.count()
    holds.delete()
    LegalHold.history.filter(person_id__in=ids).delete()
    return n
