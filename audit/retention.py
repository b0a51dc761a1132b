"""Retention (gallring): a person's records go five years (RETENTION_YEARS) after the
last entry about them, over every registered model and its history. Kept: people under
a legal hold, people born on a research day, and anyone whose records are bound up with
someone kept (a shared household). Records about nobody registered (unlinked landlord
signals) follow their registered rule (`register_orphan_rule`). Released legal holds of a
culled person go with them. Notifications and their e-mails (the outbox is the same
rows) go once older than the period too. Access-log entries stay: they hold ids only
and the hash chain must stay whole; so do the exported signed heads (sequence number,
hash and time: nothing about anyone), which verification needs.

It finishes at any scale (issue 17): everyone is dated at once, one grouped query per
table (`audit.registry.newest_entries`), and the people due are culled in batches that
each commit with the run's row (`RetentionRun`), so a run cut short is resumed by the
next one at the same cut-off, after the last batch it finished."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

from bokvar.models import Notification

from .models import LegalHold, RetentionRun
from .registry import RetentionProvider, newest_entries, registry

# People per batch: each batch is one transaction, short enough not to hold locks long
# and large enough that the grouped deletes stay few (docs/performance.md).
BATCH_SIZE = 500
# Batches culled at once, each on its own connection: PostgreSQL does most of a batch's
# work (deletes and foreign-key checks), one backend process per connection, so a
# second connection uses a second core (docs/performance.md).
WORKERS = 2


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
    # Notifications (and their e-mails) older than the period.
    notifications: int = 0
    # The persisted run (real runs only); `resumed` if it continued one cut short.
    run: RetentionRun | None = None
    resumed: bool = False


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
    newest = newest_entries(subjects)
    due = {p for p in subjects if p not in newest or newest[p] < result.cutoff}
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
    result.notifications = _old_notifications(result.cutoff).count()
    return result


def _old_notifications(cut: datetime):
    """In-app notifications and their e-mails: they name case numbers and facts about a
    case ("Barn riskerar vräkning i ärende BK-…"), so they are personal data with the
    same period, counted from when they were made."""
    return Notification.objects.filter(created_at__lt=cut)


def apply(
    *,
    dry_run: bool,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    workers: int = WORKERS,
) -> Plan:
    """Cull what `plan` finds due (a dry run only plans). A real run resumes the run left
    unfinished, at its moment; batches of `batch_size` people (whole households) each
    commit with the run's progress, `workers` batches at once on their own connections
    (one when called inside a transaction: other connections would not see its rows).
    `counts` are the run's totals, earlier attempts included."""
    if dry_run:
        return plan(now)
    run = RetentionRun.objects.filter(finished_at__isnull=True).order_by("pk").first()
    resumed = run is not None
    if run is None:
        run = RetentionRun.objects.create(started_at=now or timezone.now())
    result = plan(run.started_at)
    result.run, result.resumed = run, resumed
    providers = sorted(registry.retention.values(), key=lambda p: (p.order, p.key))
    # People culled by an earlier attempt are gone, so the plan no longer lists them: a
    # resumed run goes on after the batches that committed, in whatever order they did.
    groups = [group for provider in providers for group in provider.together(set(result.cull))]
    batches = _batches(result.cull, groups, batch_size)
    parallel = workers > 1 and connection.vendor == "postgresql" and not connection.in_atomic_block
    with _no_deletion_history():
        if parallel and len(batches) > 1:
            _cull_at_once(run.pk, batches, providers, workers)
        else:
            for batch in batches:
                _cull_batch(run.pk, batch, providers)
    run.refresh_from_db()
    for key, rule in sorted(registry.orphans.items()):
        orphans = result.orphans[key]
        for start in range(0, len(orphans), batch_size):
            with transaction.atomic():
                _add(run, {key: rule.cull(set(orphans[start : start + batch_size]))})
                run.save(update_fields=["counts"])
    while True:  # notifications in batches too: a country's are millions of rows
        with transaction.atomic():
            pks = list(
                _old_notifications(result.cutoff).values_list("pk", flat=True)[: batch_size * 10]
            )
            if not pks:
                break
            deleted = Notification.objects.filter(pk__in=pks).delete()[0]
            _add(run, {Notification._meta.label_lower: deleted})
            run.save(update_fields=["counts"])
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at"])
    result.counts = dict(run.counts)
    return result


def _batches(due: list[int], groups: Iterable[Iterable[int]], size: int) -> list[list[int]]:
    """The people due in batches of about `size`, in id order, each group (a household)
    whole in one batch: two batches culled at once then never delete the same household,
    and a batch holds whom it says it culls."""
    leader: dict[int, int] = {}

    def find(p: int) -> int:
        while leader.get(p, p) != p:
            p = leader[p]
        return p

    for group in groups:  # merged when providers' groups overlap
        members = sorted(group)
        for member in members[1:]:
            a, b = find(members[0]), find(member)
            if a != b:
                leader[max(a, b)] = min(a, b)
    wanted = set(due)
    members_of: dict[int, list[int]] = {}
    for p in due:
        members_of.setdefault(find(p), []).append(p)
    batches: list[list[int]] = []
    batch: list[int] = []
    for p in due:
        root = find(p)
        if root not in members_of:
            continue  # taken with an earlier member
        batch += [m for m in members_of.pop(root) if m in wanted]
        if len(batch) >= size:
            batches.append(batch)
            batch = []
    if batch:
        batches.append(batch)
    return batches


def _cull_batch(run_pk: int, batch: list[int], providers: list[RetentionProvider]) -> None:
    """One batch, one transaction, committed with the run's progress (the run's row is
    locked last, so batches running at once wait for each other only there)."""
    ids = set(batch)
    with transaction.atomic():
        counts: dict[str, int] = {}
        for provider in providers:
            for label, n in provider.cull(ids).items():
                counts[label] = counts.get(label, 0) + n
        counts["audit.legalhold"] = _cull_released_holds(ids)
        _check_references()
        run = RetentionRun.objects.select_for_update().get(pk=run_pk)
        _add(run, counts)
        run.cursor, run.people = max(run.cursor, batch[-1]), run.people + len(batch)
        run.save(update_fields=["cursor", "people", "counts"])


def _cull_at_once(
    run_pk: int, batches: list[list[int]], providers: list[RetentionProvider], workers: int
) -> None:
    """Cull the batches on `workers` threads, each with its own connection. Households
    never span two batches, but a landlord signal can be on one household's case and name
    another's tenant: two batches may then wait for each other, PostgreSQL breaks the
    deadlock by failing one, and that batch is culled again once the others are done.
    Any other error stops the run (after the batches under way): the next run resumes."""
    todo: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
    for batch in batches:
        todo.put(batch)
    retry: list[list[int]] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            while not errors:
                try:
                    batch = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    _cull_batch(run_pk, batch, providers)
                except OperationalError as error:
                    if getattr(error.__cause__, "sqlstate", None) != _DEADLOCK:
                        raise
                    retry.append(batch)
        except BaseException as error:  # re-raised on the calling thread
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, name=f"retention-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException as error:  # the task's time limit: stop after the batches under way
        errors.append(error)
        for thread in threads:
            thread.join()
        raise
    if errors:
        raise errors[0]
    for batch in retry:
        _cull_batch(run_pk, batch, providers)


_DEADLOCK = "40P01"


@contextmanager
def _no_deletion_history() -> Iterator[None]:
    """While culling, deleting a row does not write a history row saying so: every history
    row of the people culled goes in the same batch, so it would be written only to be
    deleted (one INSERT per row), and a deletion row that no provider deletes again
    would outlive the person. simple-history's delete receivers are detached too: with
    no receiver left, Django deletes rows with one DELETE per table instead of loading
    (and decrypting) each row first, which was most of a cull's time. Process-wide for
    the duration of a run's batches: only the retention worker culls."""
    from simple_history.models import HistoricalRecords

    detached = []
    for signal in (pre_delete, post_delete):
        with signal.lock:
            kept = [r for r in signal.receivers if not _of_history(r[1], HistoricalRecords)]
            detached.append((signal, signal.receivers))
            signal.receivers = kept
            signal.sender_receivers_cache.clear()
    enabled = getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
    settings.SIMPLE_HISTORY_ENABLED = False
    try:
        yield
    finally:
        settings.SIMPLE_HISTORY_ENABLED = enabled
        for signal, receivers in detached:
            with signal.lock:
                signal.receivers = receivers
                signal.sender_receivers_cache.clear()


def _of_history(receiver: object, kind: type) -> bool:
    return isinstance(getattr(receiver, "__self__", None), kind)


def _check_references() -> None:
    """Providers delete rows without loading them, children first; on PostgreSQL the
    foreign keys (deferred) are checked now, so a row still referring to a culled one
    fails this batch, and nothing of it is kept, instead of failing at a later commit."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _add(run: RetentionRun, counts: dict[str, int]) -> None:
    for label, n in counts.items():
        run.counts[label] = run.counts.get(label, 0) + n


def _cull_released_holds(ids: set[int]) -> int:
    """A released hold's reason is about the person: it goes with them (an active hold
    kept them, so none is active here)."""
    holds = LegalHold.objects.filter(person_id__any=ids, released_at__isnull=False)
    n = int(holds._raw_delete(holds.db) or 0)  # nothing refers to a hold: one DELETE
    history = LegalHold.history.filter(person_id__any=ids)
    history._raw_delete(history.db)
    return n
