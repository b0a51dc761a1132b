"""A case says whether anybody is assigned to it (`Case.assigned`), kept by the
database's triggers (cases migration 0029) whatever writes, on both engines; the
deadlines badge reads the unit's open cases assigned to nobody from it (issue 22). Two
assignments of a case removed at once, or one added while another is removed, leave
the flag right (PostgreSQL's row locks, real connections)."""

from __future__ import annotations

import importlib
import threading
import time
from datetime import timedelta
from types import SimpleNamespace

import psycopg
import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from bokvar import bulk
from bokvar.models import Unit
from cases.core.services.cases import update_case
from cases.evictions import selectors
from cases.models import Case, CaseAssignment, Deadline
from tests.db_roles import as_database_admin

TODAY = timezone.localdate()
migration = importlib.import_module("cases.migrations.0029_case_assigned")


def _assigned(case: Case) -> bool:
    return Case.objects.values_list("assigned", flat=True).get(pk=case.pk)


def _assign(org, case: Case, *names: str) -> Case:
    """The case's assignees set to `names` by the coordinator, as the case form does."""
    return update_case(
        actor=org.users["coordinator"],
        case_id=case.pk,
        expected_version=case.version,
        kind=case.kind,
        assignees=[org.users[name] for name in names],
    )


@pytest.mark.django_db
def test_a_case_is_assigned_while_anybody_is(org, make_case):
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "caseworker2"])
    nobody = make_case(unit_kind=Unit.Kind.ADULT)
    assert _assigned(case) and not _assigned(nobody)
    case = _assign(org, case, "caseworker")
    assert _assigned(case)
    case = _assign(org, case)
    assert not _assigned(case)
    _assign(org, case, "caseworker2")
    assert _assigned(case)


@pytest.mark.django_db
def test_any_write_of_assignments_is_followed(org, make_case):
    """Not only the services: a bulk insert and deletes of one and of many at once are
    followed too."""
    one, two = (make_case(unit_kind=Unit.Kind.ADULT) for _ in range(2))
    bulk.insert(
        CaseAssignment,
        [
            CaseAssignment(case=c, user=org.users[u])
            for c in (one, two)
            for u in ("guide", "caseworker")
        ],
    )
    assert _assigned(one) and _assigned(two)
    CaseAssignment.objects.filter(case=one, user=org.users["guide"]).delete()
    assert _assigned(one)
    CaseAssignment.objects.filter(case__in=[one, two]).delete()
    assert not _assigned(one) and not _assigned(two)


@pytest.mark.django_db
def test_what_a_writer_gives_is_replaced(org, make_case):
    """A case saved with what it read before its assignments changed, or written with
    another value by a bulk update or insert, keeps the assignments' answer: a case
    marked assigned with nobody on it would drop its deadlines from every badge."""
    nobody = make_case(unit_kind=Unit.Kind.ADULT)
    somebody = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    stale_nobody, stale_somebody = Case.objects.get(pk=nobody.pk), Case.objects.get(pk=somebody.pk)
    stale_nobody.assigned, stale_somebody.assigned = True, False
    stale_nobody.save()
    stale_somebody.save()
    assert not _assigned(nobody) and _assigned(somebody)
    Case.objects.filter(pk__in=[nobody.pk, somebody.pk]).update(assigned=True)
    assert not _assigned(nobody) and _assigned(somebody)
    Case.objects.filter(pk__in=[nobody.pk, somebody.pk]).update(assigned=False)
    assert not _assigned(nobody) and _assigned(somebody)
    claimed = Case.objects.create(
        number="T-claimed",
        household_id=nobody.household_id,
        kind=nobody.kind,
        responsible_unit=nobody.responsible_unit,
        assigned=True,
    )
    assert not _assigned(claimed)


@pytest.mark.django_db
def test_an_assignment_stays_with_its_case(org, make_case):
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    other = make_case(unit_kind=Unit.Kind.ADULT)
    with pytest.raises((IntegrityError, DatabaseError)), transaction.atomic():
        CaseAssignment.objects.filter(case=case).update(case=other)
    assert _assigned(case) and not _assigned(other)
    # Written again with its own case (a model's save()), it is not a move.
    assignment = CaseAssignment.objects.get(case=case)
    assignment.save()
    assert CaseAssignment.objects.get(case=case).pk == assignment.pk


@pytest.mark.django_db
def test_the_badge_counts_the_units_unassigned_open_cases(org, make_case):
    """The rule the flag serves: a caseworker answers for the deadlines of their unit's
    open cases nobody is assigned to, and no longer once somebody is."""
    caseworker = org.users["caseworker"]
    case = make_case(unit_kind=Unit.Kind.ADULT)
    due = Deadline.objects.create(case=case, kind="follow_up", due_on=TODAY + timedelta(days=1))
    reader = SimpleNamespace(user=caseworker)

    def counted() -> set[int]:
        return set(selectors.my_deadline_badge(reader, today=TODAY).values_list("pk", flat=True))

    assert due.pk in counted()
    case = _assign(org, case, "caseworker2")
    assert due.pk not in counted()
    _assign(org, case)
    assert due.pk in counted()


@pytest.mark.django_db
def test_the_triggers_are_on_the_migrated_schema():
    """SQLite drops a table's triggers when Django rebuilds it (an altered column): a
    later migration that rebuilt `cases_case` or `cases_caseassignment` would leave the
    flag unkept, and this fails."""
    if connection.vendor == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        names = {"cases_assignments_added", "cases_assignments_removed"}
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        names = {"cases_assignment_added", "cases_assignment_removed"}
    names |= {"cases_assignment_keeps_case", "cases_case_keeps_assigned"}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        present = {name for (name,) in cursor.fetchall()}
    assert names <= present, names - present


@pytest.mark.django_db
def test_the_migration_marks_the_cases_there_are(org, make_case):
    """The migration's fill on PostgreSQL, on cases all marked assigned as the column was
    added (its triggers not yet there): those with no assignment are marked unassigned,
    and only they are written."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's triggers cannot be set aside to mark the cases first")
    cases = [make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"]) for _ in range(2)]
    cases.append(make_case(unit_kind=Unit.Kind.ADULT))
    with as_database_admin(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no trigger event pending
        cursor.execute("ALTER TABLE cases_case DISABLE TRIGGER USER")
        cursor.execute("UPDATE cases_case SET assigned = true")
        assert all(_assigned(c) for c in cases)
        cursor.execute(migration.FILL)
        written = cursor.rowcount
        cursor.execute("ALTER TABLE cases_case ENABLE TRIGGER USER")
    assert [_assigned(c) for c in cases] == [True, True, False]
    assert written == Case.objects.filter(assignments__isnull=True).count()


# --- At once, on real connections (PostgreSQL) -------------------------------------------


def _connect() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )


def _waits_for_a_lock(pid: int) -> bool:
    with _connect() as watcher:
        row = watcher.execute(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]
        ).fetchone()
    return row is not None and row[0] == "Lock"


def _second_waits_for_first(first_sql: str, second_sql: str) -> None:
    """Run `first_sql` in a transaction, then `second_sql` in another, which waits for
    the first's lock on the case; commit the first once the second waits, then the
    second."""
    with _connect() as first, _connect() as second:
        first.execute(first_sql)
        done: list[BaseException | None] = []

        def run_second() -> None:
            try:
                second.execute(second_sql)
                second.commit()
                done.append(None)
            except BaseException as exc:  # noqa: BLE001 - re-raised below
                done.append(exc)

        thread = threading.Thread(target=run_second)
        thread.start()
        # Until the second waits for the first (the rule), or did not need to (which the
        # assertions on the outcome then judge).
        deadline = time.monotonic() + 10
        while not done and not _waits_for_a_lock(second.info.backend_pid):
            assert time.monotonic() < deadline, "the second write neither waited nor ended"
            time.sleep(0.02)
        first.commit()
        thread.join(10)
        assert done == [None], done


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; SQLite has one writer at a time.")


@pytest.mark.django_db(transaction=True)
def test_two_assignments_removed_at_once_leave_the_case_unassigned(org, make_case):
    """Each removal, counting what is left, would still see the other's assignment (not
    yet committed) and leave the case marked assigned with nobody on it; the second
    counts only once the first has committed."""
    _needs_postgresql()
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker", "caseworker2"])
    first, second = CaseAssignment.objects.filter(case=case).order_by("pk")
    _second_waits_for_first(
        f"DELETE FROM cases_caseassignment WHERE id = {first.pk}",
        f"DELETE FROM cases_caseassignment WHERE id = {second.pk}",
    )
    assert not CaseAssignment.objects.filter(case=case).exists()
    assert not _assigned(case)


@pytest.mark.django_db(transaction=True)
def test_an_assignment_added_while_the_last_is_removed_leaves_the_case_assigned(org, make_case):
    _needs_postgresql()
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    (only,) = CaseAssignment.objects.filter(case=case)
    _second_waits_for_first(
        f"DELETE FROM cases_caseassignment WHERE id = {only.pk}",
        "INSERT INTO cases_caseassignment (case_id, user_id, assigned_at, case_open) "
        f"VALUES ({case.pk}, {org.users['caseworker2'].pk}, now(), true)",
    )
    assert _assigned(case)
