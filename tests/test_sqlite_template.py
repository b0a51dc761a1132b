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


def fake_step(calls, *statements):
    """A stand-in for `manage.py migrate` or the seed: records its call, runs its SQL."""

    def step(folder):
        calls.append(folder)
        with closing(sqlite3.connect(folder / sqlite_template.DATABASE_FILE)) as db:
            for statement in statements:
                db.execute(statement)
            db.commit()

    return step


def fake_migrate(calls):
    return fake_step(
        calls,
        "PRAGMA journal_mode=WAL",
        "CREATE TABLE django_migrations (name text)",
        "INSERT INTO django_migrations VALUES ('0001_initial')",
    )


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


def fake_seed(calls):
    return fake_step(calls, "INSERT INTO django_migrations VALUES ('seeded')")


def test_seeded_once_a_day_per_code_and_password_on_the_migrated_template(kept_in, monkeypatch):
    from datetime import date

    monkeypatch.setattr(sqlite_template, "source_digest", lambda: "code-a")
    migrations: list = []
    seeds: list = []
    folders = [kept_in / f"data{n}" for n in range(6)]
    for folder in folders:
        folder.mkdir()

    def seeded(folder, day=date(2026, 12, 5), password="pw-a"):
        return sqlite_template.seeded_into(
            folder,
            migrate=fake_migrate(migrations),
            seed=fake_seed(seeds),
            day=day,
            password=password,
        )

    assert seeded(folders[0]) is True
    assert seeded(folders[1]) is False
    assert (len(migrations), len(seeds)) == (1, 1)
    assert rows(folders[0]) == rows(folders[1]) == [("0001_initial",), ("seeded",)]
    # The demo data is dated: another day seeds again (on the kept migrated template).
    assert seeded(folders[2], day=date(2026, 12, 6)) is True
    assert (len(migrations), len(seeds)) == (1, 2)
    # Another password, or changed code, seeds again too.
    assert seeded(folders[3], password="pw-b") is True
    monkeypatch.setattr(sqlite_template, "source_digest", lambda: "code-b")
    assert seeded(folders[4]) is True
    assert len(seeds) == 4


def test_a_seed_that_fails_leaves_no_seeded_template(kept_in):
    from datetime import date

    def broken(folder):
        raise RuntimeError("seeding failed")

    folder = kept_in / "data"
    folder.mkdir()
    day = date(2026, 12, 5)
    with pytest.raises(RuntimeError):
        sqlite_template.seeded_into(
            folder, migrate=fake_migrate([]), seed=broken, day=day, password="pw"
        )
    assert not list(kept_in.glob("bokvar-sqlite-seeded-*.sqlite3"))
    # The migrated template was kept; the next try seeds on it and keeps the result.
    migrations: list = []
    seeds: list = []
    assert sqlite_template.seeded_into(
        folder, migrate=fake_migrate(migrations), seed=fake_seed(seeds), day=day, password="pw"
    )
    assert (len(migrations), len(seeds)) == (0, 1)
    assert rows(folder) == [("0001_initial",), ("seeded",)]


def test_the_source_digest_follows_the_project_code_not_the_tests(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_template, "SOURCE_ROOT", tmp_path)
    for name in ("cases/demo.py", "tests/demo_seed.py", "tests/test_x.py", ".venv/x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    first = sqlite_template.source_digest()
    (tmp_path / "tests" / "test_x.py").write_text("x = 2\n")
    (tmp_path / ".venv" / "x.py").write_text("x = 2\n")
    assert sqlite_template.source_digest() == first
    (tmp_path / "cases" / "demo.py").write_text("x = 2\n")
    second = sqlite_template.source_digest()
    assert second != first
    (tmp_path / "tests" / "demo_seed.py").write_text("x = 2\n")
    assert sqlite_template.source_digest() != second
