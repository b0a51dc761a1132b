"""A hostile insider (issue 17, point 7).

Two attackers:
- one holding the application's own database credentials, who tries to rewrite or
  shorten the access log and its checkpoints with SQL;
- a database superuser who also holds every key the application processes hold (the
  chain's HMAC key is in each of them), so whatever they change they re-chain and make
  the checkpoints agree with. Only what left the database beforehand can catch them.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import chain
from audit.models import AccessLogEntry, ChainCheckpoint
from audit.tasks import check_access_log
from tests.db_roles import as_database_admin, role_names

from .helpers import add_entries, tampering

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="roles and triggers exist on PostgreSQL only"
)

LOG = AccessLogEntry._meta.db_table
CHECKPOINTS = ChainCheckpoint._meta.db_table


def _sql(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- As the application's role --------------------------------------------------------


def _application_role() -> str:
    """The roles as the product sets them up, in this test database (names per database:
    roles are shared by the whole PostgreSQL cluster): the ones the suite acts as
    (tests/db_roles.py), made again here, as the administrator, so the test stands alone."""
    owner, app = role_names(connection.settings_dict["NAME"])
    with as_database_admin():
        call_command("setup_database_roles", owner=owner, app=app, stdout=StringIO())
    return app


FORBIDDEN = [
    ("TRUNCATE", "TRUNCATE {t}"),
    ("DELETE", "DELETE FROM {t}"),
    ("UPDATE", "UPDATE {t} SET hash = repeat('0', 64)"),
    ("DISABLE TRIGGER", "ALTER TABLE {t} DISABLE TRIGGER ALL"),
    ("DROP TRIGGER", "DROP TRIGGER {t}_append_only ON {t}"),
    ("ALTER OWNER", "ALTER TABLE {t} OWNER TO CURRENT_USER"),
]


@pytest.mark.parametrize("table", [LOG, CHECKPOINTS])
@pytest.mark.parametrize(("what", "statement"), FORBIDDEN, ids=[f[0] for f in FORBIDDEN])
def test_application_role_is_refused(caseworker, table, what, statement):
    add_entries(caseworker, 3)
    check_access_log()  # a clean verification leaves a checkpoint
    role = _application_role()
    with transaction.atomic():
        _sql(f'SET LOCAL ROLE "{role}"')
        # What the application must still do: append and read.
        add_entries(caseworker, 1)
        assert chain.verify().ok
        with pytest.raises(DatabaseError), transaction.atomic():
            _sql(statement.format(t=table))
    assert AccessLogEntry.objects.count() == 4
    assert ChainCheckpoint.objects.count() == 1


PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]


def test_application_role_holds_insert_and_select_only_and_owns_nothing(caseworker):
    role = _application_role()
    with connection.cursor() as cursor:
        for table in (LOG, CHECKPOINTS):
            held = []
            for privilege in PRIVILEGES:
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
                if cursor.fetchone()[0]:
                    held.append(privilege)
            assert held == ["SELECT", "INSERT"], table
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles"
            " WHERE rolname = %s)",
            [role],
        )
        assert cursor.fetchone()[0] == 0
        # Ordinary tables stay writable: the application works as before.
        cursor.execute(
            "SELECT has_table_privilege(%s, 'bokvar_user', 'UPDATE'),"
            " has_table_privilege(%s, 'bokvar_user', 'TRUNCATE')",
            [role, role],
        )
        assert cursor.fetchone() == (True, False)


def test_roles_command_is_idempotent_and_refuses_a_superuser(caseworker):
    _application_role()
    _application_role()  # a second run changes nothing and does not fail
    with pytest.raises(CommandError, match="superuser"), as_database_admin():
        call_command(
            "setup_database_roles",
            owner=connection.settings_dict["USER"],
            app=f"{connection.settings_dict['NAME'][:40]}_app",
            stdout=StringIO(),
        )


# --- As a superuser with every application key ----------------------------------------


def _rechain() -> None:
    """Make the chain consistent again after a change, as the key holder can, and make
    every checkpoint agree with it (a checkpoint past the end is dropped)."""
    prev = chain.GENESIS
    rows = list(AccessLogEntry.objects.order_by("seq").values_list(*chain.FIELDS[:-1]))
    with tampering():
        for index, row in enumerate(rows, start=1):
            values = [index, *row[1:14], prev]
            new = chain.entry_hash(*values)
            _sql(
                f"UPDATE {LOG} SET seq = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [index, prev, new, row[0]],
            )
            prev = new
        hashes = dict(AccessLogEntry.objects.values_list("seq", "hash"))
        _sql(f"DELETE FROM {CHECKPOINTS} WHERE seq > %s", [len(rows)])
        for seq, new in hashes.items():
            _sql(f"UPDATE {CHECKPOINTS} SET hash = %s WHERE seq = %s", [new, seq])


def _edit():
    with tampering():
        _sql(f"UPDATE {LOG} SET user_id = user_id + 1 WHERE seq = 3")
    _rechain()


def _insert():
    with tampering():
        _sql(f"UPDATE {LOG} SET seq = seq + 1000 WHERE seq >= 4")
        _sql(
            f"INSERT INTO {LOG} (seq, at, user_id, object_type, object_id, how, ip, person_id,"
            " case_id, unit_id, protected, outside_unit, via_handover, prev_hash, hash)"
            " SELECT 4, at, user_id, object_type, 999, how, ip, person_id, case_id, unit_id,"
            f" protected, outside_unit, via_handover, '', '' FROM {LOG} WHERE seq = 3"
        )
    _rechain()


def _delete():
    with tampering():
        _sql(f"DELETE FROM {LOG} WHERE seq = 4")
    _rechain()


def _reorder():
    with tampering():
        _sql(f"UPDATE {LOG} SET seq = 1003 WHERE seq = 4")
        _sql(f"UPDATE {LOG} SET seq = 4 WHERE seq = 3")
        _sql(f"UPDATE {LOG} SET seq = 3 WHERE seq = 1003")
    _rechain()


def _truncate_tail():
    # The last three entries, written after the nightly verification, and the
    # checkpoints that would tell.
    with tampering():
        _sql(f"DELETE FROM {LOG} WHERE seq > 7")
        _sql(f"DELETE FROM {CHECKPOINTS} WHERE seq > 7")


def _truncate_everything():
    with as_database_admin():
        _sql(f"TRUNCATE {LOG}, {CHECKPOINTS}")


def _delete_checkpoint_and_tail():
    with tampering():
        _sql(f"DELETE FROM {CHECKPOINTS}")
        _sql(f"DELETE FROM {LOG} WHERE seq > 4")


def _move_checkpoint_back():
    with tampering():
        _sql(
            f"DELETE FROM {CHECKPOINTS} WHERE seq > 4 AND seq < (SELECT max(seq) FROM {CHECKPOINTS})"
        )
        _sql(
            f"UPDATE {CHECKPOINTS} SET seq = 4, hash = (SELECT hash FROM {LOG} WHERE seq = 4)"
            f" WHERE seq = (SELECT max(seq) FROM {CHECKPOINTS})"
        )
        _sql(f"DELETE FROM {LOG} WHERE seq > 4")


SCENARIOS = {
    "edit": _edit,
    "insert": _insert,
    "delete": _delete,
    "reorder": _reorder,
    "truncate-tail": _truncate_tail,
    "truncate-everything": _truncate_everything,
    "delete-checkpoint": _delete_checkpoint_and_tail,
    "move-checkpoint-back": _move_checkpoint_back,
}


EXPECTED = {
    "edit": "chain up to entry 6 was rewritten",
    "insert": "chain up to entry 6 was rewritten",
    "delete": "chain up to entry 6 was rewritten",
    "reorder": "chain up to entry 6 was rewritten",
    "truncate-tail": "entries from 8 on were removed",
    "truncate-everything": "entries from 1 on were removed",
    "delete-checkpoint": "entries from 5 on were removed",
    "move-checkpoint-back": "entries from 5 on were removed",
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_superuser_with_every_application_key_is_detected(signed_heads, caseworker, scenario):
    add_entries(caseworker, 6)
    call_command("verify_access_log", stdout=StringIO())  # nightly: clean, head 6 sealed
    add_entries(caseworker, 4)
    call_command("seal_chain_head", stdout=StringIO())  # hourly: head 10 exported
    SCENARIOS[scenario]()
    with pytest.raises(CommandError, match="verification failed") as failed:
        call_command("verify_access_log")
    assert EXPECTED[scenario] in str(failed.value)


def test_a_checkpoint_removed_or_moved_alone_is_detected(signed_heads, caseworker):
    add_entries(caseworker, 6)
    call_command("seal_chain_head", stdout=StringIO())
    add_entries(caseworker, 2)
    call_command("seal_chain_head", stdout=StringIO())
    with tampering():
        _sql(
            f"UPDATE {CHECKPOINTS} SET seq = 5, hash = (SELECT hash FROM {LOG} WHERE seq = 5)"
            " WHERE seq = 6"
        )
    with pytest.raises(CommandError, match="checkpoint at entry 6 was removed or moved"):
        call_command("verify_access_log")
    with tampering():
        _sql(f"DELETE FROM {CHECKPOINTS} WHERE seq = 8")
    with pytest.raises(CommandError, match="checkpoint at entry 6 was removed or moved"):
        call_command("verify_access_log")


def test_without_exported_heads_a_rewritten_chain_goes_unnoticed_and_says_so(caseworker):
    # The residual case the README states: no export, no protection from the key holder.
    add_entries(caseworker, 4)
    _edit()
    out, err = StringIO(), StringIO()
    call_command("verify_access_log", stdout=out, stderr=err)
    assert "intact: 4 entries" in out.getvalue()
    assert "No exported heads" in err.getvalue()


# --- Ciphertext moved by a superuser (point 3) -----------------------------------------


@pytest.mark.parametrize("target", ["other-row-same-column", "other-row-other-column"])
def test_a_moved_ciphertext_is_detected(login, cases, caseworker, target):
    from cases.models import Person

    protected = Person.objects.get(pk=cases.p.household.head_id)
    reader_sees = Person.objects.get(pk=cases.a.household.head_id)
    column = "address" if target == "other-row-same-column" else "notes"
    table = Person._meta.db_table
    _sql(
        f"UPDATE {table} SET {column} = (SELECT address FROM {table} WHERE id = %s) WHERE id = %s",
        [protected.pk, reader_sees.pk],
    )
    page = login(caseworker).get(f"/cases/{cases.a.pk}/people/{reader_sees.pk}/")
    assert page.status_code == 200  # reported as tampering, not as a server error
    assert protected.address not in page.content.decode()
    with pytest.raises(CommandError):
        call_command("check_encryption", stdout=StringIO())


# --- The suite itself (point 1: CI runs as the restricted role) -------------------------


def test_the_suite_acts_as_the_application_role(caseworker):
    """Every test's connection is the application's role (tests/db_roles.py): what the
    application does here, it may do in production; shortening the log it may not."""
    from tests.db_roles import active

    if not active():
        pytest.skip("BOKVAR_TEST_DB_ROLE=admin: the suite acts as the administrator")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == role_names(connection.settings_dict["NAME"])[1]
    add_entries(caseworker, 2)
    assert chain.verify().ok
    for statement in (
        f"TRUNCATE {LOG}",
        f"DELETE FROM {LOG}",
        f"ALTER TABLE {LOG} OWNER TO CURRENT_USER",
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            _sql(statement)
    assert AccessLogEntry.objects.count() == 2
