"""The kept SQLite template (tests/sqlite_template.py): migrated once per fingerprint,
copied whole, never found half made."""

import sqlite3
from contextlib import closing

import pytest

from tests import sqlite_template


@pytest.fixture
def kept_in(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_template.tempfile, "gettempdir", lambda: str(tmp_path))
    monkeypatch.setattr(sqlite_template, "fingerprint", lambda: "migrations-a")
    return tmp_path


def fake_migrate(calls):
    def migrate(folder):
        calls.append(folder)
        with closing(sqlite3.connect(folder / sqlite_template.DATABASE_FILE)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE django_migrations (name text)")
            db.execute("INSERT INTO django_migrations VALUES ('0001_initial')")
            db.commit()

    return migrate


def rows(folder):
    with closing(sqlite3.connect(folder / sqlite_template.DATABASE_FILE)) as db:
        return db.execute("SELECT name FROM django_migrations").fetchall()


def test_migrated_once_per_fingerprint_and_copied_to_each_data_folder(kept_in, monkeypatch):
    calls: list = []
    first, second, third = (kept_in / name for name in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    assert sqlite_template.migrated_into(first, fake_migrate(calls)) is True
    assert sqlite_template.migrated_into(second, fake_migrate(calls)) is False
    assert len(calls) == 1
    assert rows(first) == rows(second) == [("0001_initial",)]
    # A copy is its own database: a write to one is not in the other or the template.
    with closing(sqlite3.connect(first / sqlite_template.DATABASE_FILE)) as db:
        db.execute("INSERT INTO django_migrations VALUES ('seeded')")
        db.commit()
    assert rows(second) == [("0001_initial",)]
    # Other migrations: migrated again.
    monkeypatch.setattr(sqlite_template, "fingerprint", lambda: "migrations-b")
    assert sqlite_template.migrated_into(third, fake_migrate(calls)) is True
    assert len(calls) == 2


def test_a_migration_that_fails_leaves_no_template(kept_in):
    def broken(folder):
        raise RuntimeError("migration failed")

    folder = kept_in / "data"
    folder.mkdir()
    with pytest.raises(RuntimeError):
        sqlite_template.migrated_into(folder, broken)
    assert not list(kept_in.glob("bokvar-sqlite-migrated-*.sqlite3"))
    calls: list = []
    assert sqlite_template.migrated_into(folder, fake_migrate(calls)) is True
    assert len(calls) == 1
