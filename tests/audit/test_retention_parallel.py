"""Retention culls two batches at once, each on its own connection (issue 17, point 5):
a household is never split between two batches, and the run culls exactly what the dry
run names. Real concurrent transactions need PostgreSQL."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from django.db import connection

from audit import retention
from audit.models import RetentionRun
from audit.registry import registry
from cases.models import Person
from tests.case_fixtures import person

from .test_retention import backdate_everything


def test_batches_take_each_household_whole_in_id_order():
    due = [1, 2, 3, 4, 5, 6, 7]
    batches = retention._batches(due, [[5, 2], [3], [7, 6]], 2)
    assert batches == [[1, 2, 5], [3, 4], [6, 7]]
    # Groups naming people not due (kept, or culled before) add nobody.
    assert retention._batches([1, 3], [[1, 2], [3, 9]], 5) == [[1, 3]]
    # Overlapping groups (from two providers) are one group.
    assert retention._batches([1, 2, 3, 4], [[1, 4], [4, 3]], 1) == [[1, 3, 4], [2]]


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_cull_what_the_dry_run_names(cases, make_case, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL; SQLite serialises writers.")
    pair = make_case(
        people=[
            person("Hanna", "Hushåll", "19790707-0010"),
            person("Erik", "Hushåll", "19800202-0017"),
        ]
    )
    members = set(
        Person.objects.filter(household_id=pair.household_id).values_list("pk", flat=True)
    )
    backdate_everything()
    dry = retention.apply(dry_run=True)
    assert members <= set(dry.cull) and len(dry.cull) == 5
    provider = registry.retention["cases"]
    seen: list[tuple[str, set[int]]] = []

    def watched(people: set[int]) -> dict[str, int]:
        seen.append((threading.current_thread().name, set(people)))
        return provider.cull(people)

    monkeypatch.setitem(registry.retention, "cases", dataclasses.replace(provider, cull=watched))
    real = retention.apply(dry_run=False, batch_size=1, workers=2)

    assert real.cull == dry.cull
    assert {name for name, _ in seen} <= {"retention-0", "retention-1"}
    assert sorted(p for _, batch in seen for p in batch) == dry.cull  # each person once
    assert any(batch == members for _, batch in seen)  # the household in one batch
    assert not Person.objects.filter(pk__in=dry.cull).exists()
    assert Person.objects.filter(pk__in=dry.research).count() == len(dry.research) == 1
    run = RetentionRun.objects.get()
    assert run.finished_at is not None and run.people == 5
    assert run.cursor == max(dry.cull)
    assert run.counts["cases.person"] == 5 == real.counts["cases.person"]
