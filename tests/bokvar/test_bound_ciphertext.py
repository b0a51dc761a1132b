"""Encrypted values bound to their place (issue 17, point 3): a ciphertext moved by
someone with database access to another row, column or table (history included) is
withheld, reported as tampering and named by check_encryption; history copies, key
rotation, bulk inserts and the migration from the old unbound format keep working."""

from __future__ import annotations

import base64
import os
import uuid
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection

from bokvar import binding, crypto
from bokvar.fields import Tampered, encrypted_fields
from cases.models import Household, Landlord, Person

pytestmark = pytest.mark.django_db

PERSON = Person._meta.db_table
HISTORY = Person.history.model._meta.db_table
PLACEHOLDER = "[undanhållet: värdet klarade inte sin integritetskontroll]"  # Swedish default


def _sql(sql: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _raw(table: str, column: str, pk: int, pk_column: str = "id") -> str:
    return _sql(f"SELECT {column} FROM {table} WHERE {pk_column} = %s", [pk])[0][0]


def _check_fails() -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="encrypted values failed"):
        call_command("check_encryption", stdout=StringIO(), stderr=err)
    return err.getvalue()


@pytest.fixture
def two(cases):
    secret = Person.objects.get(pk=cases.p.household.head_id)
    other = Person.objects.get(pk=cases.a.household.head_id)
    return secret, other


def test_values_read_and_write_as_before_and_history_copies_decrypt(two):
    secret, other = two
    other.notes = "Ny anteckning"
    other.save()
    again = Person.objects.get(pk=other.pk)
    assert again.notes == "Ny anteckning" and type(again.notes) is str
    assert [h.notes for h in other.history.order_by("history_id")][-1] == "Ny anteckning"
    # The history row holds its own ciphertext, sealed for the row it records.
    latest = other.history.order_by("-history_id").first()
    assert _raw(HISTORY, "notes", latest.history_id, "history_id").split(":")[2] == (
        other.row_key.hex
    )
    call_command("check_encryption", stdout=StringIO())


@pytest.mark.parametrize("target", ["same-column", "other-column"])
def test_a_value_moved_to_another_row_is_withheld_and_logged(two, target, caplog):
    secret, other = two
    column = "address" if target == "same-column" else "notes"
    _sql(
        f"UPDATE {PERSON} SET {column} = (SELECT address FROM {PERSON} WHERE id = %s)"
        " WHERE id = %s",
        [secret.pk, other.pk],
    )
    read = Person.objects.get(pk=other.pk)
    value = getattr(read, column)
    assert isinstance(value, Tampered) and value == PLACEHOLDER
    assert "Hemligvägen" not in value
    assert read.given_name == "Astrid"  # the row's own values are untouched
    flagged = [r for r in caplog.records if getattr(r, "tampering", False)]
    assert flagged and f"cases.person.{column}" in flagged[0].getMessage()
    assert any(f"(row {other.pk})" in r.getMessage() for r in flagged)
    assert "Hemligvägen" not in caplog.text
    assert "sealed for another" in _check_fails()


def test_a_moved_value_is_withheld_however_the_row_is_loaded(two):
    """The row check runs in the model's from_db: every way a row is loaded goes through
    it, the migration framework's models included (a data migration, such as the name
    tokens', must not read a moved value as the row's own)."""
    from django.db.migrations.loader import MigrationLoader

    secret, other = two
    _sql(
        f"UPDATE {PERSON} SET address = (SELECT address FROM {PERSON} WHERE id = %s) WHERE id = %s",
        [secret.pk, other.pk],
    )
    related = Household.objects.select_related("head").get(head_id=other.pk).head
    prefetched = Household.objects.prefetch_related("members").get(pk=other.household_id)
    raw = Person.objects.raw(f"SELECT * FROM {PERSON} WHERE id = %s", [other.pk])[0]
    state = MigrationLoader(connection).project_state().apps.get_model("cases", "Person")
    migrated = state.objects.get(pk=other.pk)
    members = {m.pk: m for m in prefetched.members.all()}
    for read in (related, members[other.pk], raw, migrated):
        assert isinstance(read.address, Tampered), type(read)
        assert read.given_name == "Astrid" and type(read.given_name) is str


def test_the_page_shows_the_placeholder_and_no_error(two, cases, caseworker, login):
    secret, other = two
    _sql(
        f"UPDATE {PERSON} SET address = (SELECT address FROM {PERSON} WHERE id = %s) WHERE id = %s",
        [secret.pk, other.pk],
    )
    page = login(caseworker).get(f"/cases/{cases.a.pk}/people/{other.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert PLACEHOLDER in html and "Hemligvägen" not in html
    assert "Astrid" in html  # the rest of the page as usual


def test_a_value_moved_into_another_table_is_withheld(two):
    secret, _ = two
    landlord = Landlord.objects.create(kind="private", private_name="Hyresvärd", name_bidx="x1")
    _sql(
        f"UPDATE {Landlord._meta.db_table} SET address = %s WHERE id = %s",
        [_raw(PERSON, "address", secret.pk), landlord.pk],
    )
    assert isinstance(Landlord.objects.get(pk=landlord.pk).address, Tampered)
    assert "cases.landlord.address: 1 sealed for another column or table" in _check_fails()


def test_a_value_moved_into_or_out_of_history_is_withheld(two):
    secret, other = two
    other.notes = "Före"
    other.save()
    history_id = other.history.order_by("-history_id").first().history_id
    # Into another person's history row.
    _sql(
        f"UPDATE {HISTORY} SET address = %s WHERE history_id = %s",
        [_raw(PERSON, "address", secret.pk), history_id],
    )
    record = Person.history.get(history_id=history_id)
    assert isinstance(record.address, Tampered)
    assert record.notes == "Före"
    # Out of the protected person's history into a live row.
    secret_history = secret.history.order_by("history_id").first().history_id
    _sql(
        f"UPDATE {PERSON} SET phone = (SELECT address FROM {HISTORY} WHERE history_id = %s)"
        " WHERE id = %s",
        [secret_history, other.pk],
    )
    assert isinstance(Person.objects.get(pk=other.pk).phone, Tampered)
    err = _check_fails()
    assert HISTORY in err and PERSON in err


def test_saving_a_row_with_a_withheld_value_keeps_the_evidence(two):
    secret, other = two
    moved = _raw(PERSON, "address", secret.pk)
    _sql(f"UPDATE {PERSON} SET address = %s WHERE id = %s", [moved, other.pk])
    read = Person.objects.get(pk=other.pk)
    read.notes = "Ändrad"
    read.save()
    assert _raw(PERSON, "address", other.pk) == moved  # written back, not re-sealed
    assert Person.objects.get(pk=other.pk).notes == "Ändrad"


def test_values_without_their_row_are_refused(two):
    _, other = two
    with pytest.raises(TypeError, match="written through save"):
        Person.objects.filter(pk=other.pk).update(notes="Utan rad")


def test_rotation_keeps_values_bound_and_leaves_moved_ones_alone(two, settings):
    secret, other = two
    moved = _raw(PERSON, "address", secret.pk)
    _sql(f"UPDATE {PERSON} SET notes = %s WHERE id = %s", [moved, other.pk])
    new = "k9:" + base64.b64encode(b"R" * 32).decode()
    settings.FIELD_ENCRYPTION_KEYS = f"{new},{settings.FIELD_ENCRYPTION_KEYS}"
    with pytest.raises(CommandError, match="1 values do not belong"):
        call_command("rotate_keys", stdout=StringIO(), verbosity=0)
    assert _raw(PERSON, "notes", other.pk) == moved
    assert _raw(PERSON, "address", secret.pk).startswith("enc2:k9:")
    assert Person.objects.get(pk=secret.pk).address == "Hemligvägen 7"
    assert [h.address for h in secret.history.all()] == ["Hemligvägen 7"]


def _legacy(text: str) -> str:
    key = crypto.keyring().keys["dev1"]
    nonce = os.urandom(12)
    sealed = key.encrypt(nonce, text.encode(), None)
    return "enc1:dev1:" + base64.b64encode(nonce + sealed).decode()


def test_the_migration_binds_old_values_in_batches_and_resumes(two, monkeypatch):
    """Rows as they were before: enc1 values, the zero row key the schema migration
    gives, history rows alike (and one of a person deleted since)."""
    # As the database takes a UUID in raw SQL: a uuid on PostgreSQL, hex text on SQLite.
    zero = binding.UNBOUND_ROW_KEY
    if connection.vendor != "postgresql":
        zero = zero.hex
    people = list(Person.objects.order_by("pk"))
    columns = [f.column for f in encrypted_fields(Person)]
    sets = ", ".join(f"{c} = %s" for c in columns)
    for p in people:
        p.given_name, p.notes = f"Namn{p.pk}", f"Anteckning {p.pk}"
        old = [_legacy(v) if v else "" for v in (getattr(p, c) for c in columns)]
        _sql(f"UPDATE {PERSON} SET row_key = %s, {sets} WHERE id = %s", [zero, *old, p.pk])
        _sql(f"UPDATE {HISTORY} SET row_key = %s, {sets} WHERE id = %s", [zero, *old, p.pk])
    gone = max(p.pk for p in people) + 1000
    _sql(
        f"INSERT INTO {HISTORY} (id, row_key, given_name, family_name, personal_number,"
        " address, phone, email, needs_interpreter, interpreter_language, notes, sex,"
        " protected_identity, created_at, version, household_id, history_date,"
        " history_type, history_change_reason)"
        f" SELECT %s, %s, %s, '', '', '', '', '', false, '', '', '', 'none', CURRENT_TIMESTAMP, 1,"
        " household_id, CURRENT_TIMESTAMP, '-', '' FROM " + PERSON + " LIMIT 1",
        [gone, zero, _legacy("Borttagen")],
    )
    assert "old format" in _check_fails()

    real, calls = binding._rebind, {"n": 0}

    def dies(*args):
        calls["n"] += 1
        if calls["n"] > 7:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(binding, "BATCH", 2)
    monkeypatch.setattr(binding, "_rebind", dies)
    with pytest.raises(KeyboardInterrupt):
        binding.bind_app(django_apps, "cases")
    monkeypatch.setattr(binding, "_rebind", real)
    binding.bind_app(django_apps, "cases")

    call_command("check_encryption", stdout=StringIO())
    keys = {k for (k,) in _sql(f"SELECT row_key FROM {PERSON}")}
    assert zero not in keys and len(keys) == len(people)
    for p in Person.objects.all():
        assert p.given_name == f"Namn{p.pk}" and p.notes == f"Anteckning {p.pk}"
        assert {h.row_key for h in p.history.all()} == {p.row_key}
        assert {h.given_name for h in p.history.all()} == {f"Namn{p.pk}"}
        assert {h.notes for h in p.history.all()} == {f"Anteckning {p.pk}"}
    assert Person.history.get(id=gone).given_name == "Borttagen"
    assert isinstance(Person.history.get(id=gone).row_key, uuid.UUID)


def test_withheld_and_opened_values_survive_copying(two):
    import copy
    import pickle

    secret, other = two
    _sql(
        f"UPDATE {PERSON} SET notes = %s WHERE id = %s",
        [_raw(PERSON, "address", secret.pk), other.pk],
    )
    read = Person.objects.get(pk=other.pk)
    for copied in (copy.deepcopy(read), pickle.loads(pickle.dumps(read))):
        assert isinstance(copied.notes, Tampered) and copied.notes.stored == read.notes.stored
        assert copied.given_name == "Astrid"
    opened = crypto.decrypt(_raw(PERSON, "given_name", other.pk), place="cases.person.given_name")
    assert type(pickle.loads(pickle.dumps(opened))) is str
