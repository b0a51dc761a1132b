"""Retention dates everyone at once (one grouped query per table, issue 17), and must
date each person exactly as asking per person over the registered querysets does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import DateTimeField
from django.utils import timezone

from audit.registry import last_entry_of, newest_entries, registry
from bokvar.history import history_of
from cases.models import Person

pytestmark = pytest.mark.django_db


def scatter_dates() -> None:
    """Every dated row and history row gets its own date (from its id), so the newest
    entry differs from person to person and from model to model."""
    now = timezone.now()
    for n, reg in enumerate(registry.models.values()):
        tables = [(history_of(reg.model), "history_date")]
        if reg.date_field:
            tables.append((reg.model._default_manager, reg.date_field))
        for manager, date_field in tables:
            model = manager.model
            rows = list(model._default_manager.all())
            is_date = not isinstance(model._meta.get_field(date_field), DateTimeField)
            for row in rows:
                when = now - timedelta(days=(row.pk * 37 + n * 11) % 4000)
                setattr(row, date_field, when.date() if is_date else when)
            model._default_manager.bulk_update(rows, [date_field], batch_size=500)


def test_set_based_dating_agrees_with_asking_per_person(demo_seeded, django_assert_max_num_queries):
    scatter_dates()
    people = list(Person.objects.values_list("pk", flat=True))
    assert len(people) > 20
    expected = {p: last_entry_of(p) for p in people}
    expected = {p: when for p, when in expected.items() if when is not None}
    # One query for every table whatever the number of people (PostgreSQL combines the
    # tables' grouped queries; the working memory is set for it first).
    if connection.vendor == "postgresql":
        with django_assert_max_num_queries(4):  # with its savepoint and release
            got = newest_entries(people)
    else:  # the embedded default dates per person (audit.registry.newest_entries)
        got = newest_entries(people)
    assert got == expected
    # The dates really differ, so agreeing says something.
    assert len(set(got.values())) > len(people) // 2
