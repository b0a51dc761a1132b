"""Retention that finishes (issue 17, point 5): batches commit as they go with a run row,
a run cut short is resumed at the same cut-off, the dry run and the real run agree, and
notifications (with their e-mails) older than the period go too."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit import retention
from audit.models import RetentionRun
from audit.registry import registry
from bokvar.models import Notification
from bokvar.notifications import notify
from cases.models import Case, Person

from .test_retention import backdate_everything, heads

pytestmark = pytest.mark.django_db


def test_the_dry_run_and_the_real_run_agree(org, cases):
    backdate_everything()
    dry = retention.apply(dry_run=True)
    people_before = set(Person.objects.values_list("pk", flat=True))
    assert dry.cull and dry.run is None
    assert set(Person.objects.values_list("pk", flat=True)) == people_before  # nothing went
    real = retention.apply(dry_run=False, batch_size=1)
    assert (real.cull, real.held, real.research, real.entangled) == (
        dry.cull,
        dry.held,
        dry.research,
        dry.entangled,
    )
    assert real.orphans == dry.orphans
    # Exactly the people the dry run named (with their households) are gone.
    assert not Person.objects.filter(pk__in=dry.cull).exists()
    assert Person.objects.filter(pk__in=dry.research).count() == len(dry.research)
    run = RetentionRun.objects.get()
    assert run.finished_at is not None
    assert run.people == len(dry.cull)
    assert run.cursor == max(dry.cull)
    assert real.counts == run.counts
    assert run.counts["cases.person"] == len(people_before) - Person.objects.count()


def test_a_run_cut_short_is_resumed_after_its_last_batch(org, cases, monkeypatch):
    ids = heads(cases)
    backdate_everything()
    due = retention.plan().cull
    assert len(due) == 3  # A, P and G (B is kept for research)
    provider = registry.retention["cases"]
    calls = []

    def crashing(people):
        calls.append(people)
        if len(calls) == 2:
            raise RuntimeError("the worker was killed")
        return provider.cull(people)

    monkeypatch.setitem(registry.retention, "cases", dataclasses.replace(provider, cull=crashing))
    with pytest.raises(RuntimeError):
        retention.apply(dry_run=False, batch_size=1)
    # The first batch committed with the run's progress; the second left nothing half-done.
    run = RetentionRun.objects.get()
    assert run.finished_at is None
    assert (run.people, run.cursor) == (1, due[0])
    assert not Person.objects.filter(pk=due[0]).exists()
    assert Person.objects.filter(pk__in=due[1:]).count() == 2
    assert Case.objects.filter(household__members__in=due[1:]).count() == 2
    assert run.counts["cases.person"] == 1

    monkeypatch.setitem(registry.retention, "cases", provider)
    later = retention.apply(dry_run=False, batch_size=1)
    assert later.resumed and later.run is not None and later.run.pk == run.pk
    assert later.cull == due[1:]
    run.refresh_from_db()
    assert run.finished_at is not None
    assert run.people == 3
    assert run.counts["cases.person"] == 3
    assert not Person.objects.filter(pk__in=due).exists()
    assert Person.objects.filter(pk=ids["b"]).exists()
    # The next night starts a new run.
    retention.apply(dry_run=False)
    assert RetentionRun.objects.count() == 2


def test_a_resumed_run_keeps_its_cut_off(org, cases):
    """A run is resumed at the moment it began: a person whose last entry passed the
    period between the two attempts is left to the next run, as a dry run then said."""
    backdate_everything()
    started = timezone.now() - timedelta(days=400)
    RetentionRun.objects.create(started_at=started)
    result = retention.apply(dry_run=False)
    assert result.resumed and result.cutoff == retention.cutoff(started)


def test_old_notifications_and_their_emails_go(org, cases, capsys):
    coordinator = org.users["coordinator"]
    old, new = (
        notify(
            recipients=[coordinator],
            kind="deadline_reminder",
            dedupe_key=key,
            subject="Barn riskerar vräkning i ärende BK-1",
            url="/",
        )[0]
        for key in ("old", "new")
    )
    Notification.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=365 * 6)
    )
    call_command("apply_retention", "--dry-run")
    assert "Would cull 1 notifications" in capsys.readouterr().out
    assert Notification.objects.filter(pk=old.pk).exists()
    result = retention.apply(dry_run=False)
    assert result.counts == {"bokvar.notification": 1}
    assert list(Notification.objects.values_list("pk", flat=True)) == [new.pk]


def test_expired_sessions_are_cleared_on_the_schedule(settings):
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"bokvar.clear_sessions", "audit.apply_retention"} <= schedule


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="deferred foreign keys checked on PostgreSQL"
)
def test_a_provider_forgetting_a_child_fails_its_batch_not_orphans_it(org, cases, monkeypatch):
    """Rows are deleted without loading them (one DELETE per table); a record left behind
    by its provider still refers to its case, and the batch fails as a whole."""
    from cases.models import EvictionThreat

    ids = heads(cases)
    EvictionThreat.objects.create(case=cases.p)
    backdate_everything()
    provider = registry.retention["evictions"]
    monkeypatch.setitem(
        registry.retention, "evictions", dataclasses.replace(provider, cull=lambda people: {})
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        retention.apply(dry_run=False, batch_size=10)
    assert Person.objects.filter(pk=ids["p"]).exists()
    assert EvictionThreat.objects.filter(case=cases.p).exists()


def _cull_queries(ids: set[int]) -> int:
    """Queries of one batch culling these people (every provider, as `apply` runs them)."""
    providers = sorted(registry.retention.values(), key=lambda p: (p.order, p.key))
    with (
        CaptureQueriesContext(connection) as ctx,
        transaction.atomic(),
        retention._no_deletion_history(),
    ):
        for provider in providers:
            provider.cull(ids)
        retention._cull_released_holds(ids)
        retention._check_references()
    return len(ctx.captured_queries)


def test_a_batch_costs_the_same_queries_for_one_person_or_many(org, cases):
    """Issue 22, point 5: no step of a cull costs a query per person or per case."""
    backdate_everything()
    due = retention.plan().cull
    assert len(due) == 3
    one = _cull_queries({due[0]})
    assert Person.objects.filter(pk=due[0]).count() == 0  # it did cull
    many = _cull_queries(set(due[1:]))
    assert not Person.objects.filter(pk__in=due[1:]).exists()
    assert many == one


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plans")
def test_no_statement_of_a_batch_reads_a_whole_table(org, cases):
    """Issue 22, point 5: every statement of a batch finds its rows through an index. A
    whole-table read costs in proportion to the table for every batch (at national scale
    the run grew with the square of the data). With sequential scans priced out, the
    planner still chooses one only where no index can answer: none may be left."""
    backdate_everything()
    due = retention.plan().cull
    providers = sorted(registry.retention.values(), key=lambda p: (p.order, p.key))
    with (
        CaptureQueriesContext(connection) as ctx,
        transaction.atomic(),
        retention._no_deletion_history(),
    ):
        for provider in providers:
            provider.cull(set(due))
        retention._cull_released_holds(set(due))
    statements = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].split()[0] in ("SELECT", "DELETE", "UPDATE")
    ]
    assert len(statements) > 40
    whole = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in statements:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            if "Seq Scan" in plan:
                whole.append(f"{sql}\n{plan}")
    assert not whole, "\n\n".join(whole)
