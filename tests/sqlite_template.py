"""A migrated SQLite database for tests that start a server on the embedded default,
kept while the migrations stay the same (issue 14).

`manage.py migrate` on an empty SQLite file takes about 43 s of CPU (SQLite rebuilds a
table for most changes of a column, and the project has many): the concurrent-clients
test paid it on every run to start `make run`'s embedded default. Here it is paid once
per `template_db.fingerprint()` (the migration files, the project modules they import,
the installed packages, the installed apps and how the template is made), as the
PostgreSQL template is: the first test to need it runs the same `manage.py migrate` in a
scratch folder, and every test copies the result into its own data folder. A run whose
fingerprint differs migrates again; a migration that did not finish leaves no file.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from tests.template_db import _file_lock, fingerprint

# The embedded default's file name in its data folder (bokvar/settings.py).
DATABASE_FILE = "bokvar.sqlite3"


def template_path(key: str) -> Path:
    return Path(tempfile.gettempdir()) / f"bokvar-sqlite-migrated-{key[:24]}.sqlite3"


def _copy(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (the server runs in WAL mode; a
    plain file copy could miss what is still in the write-ahead log)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _kept(template: Path, make: Callable[[Path], None], data_dir: Path) -> bool:
    """Copy the kept database `template` into `data_dir`, made first by `make` (given an
    empty data folder) when it does not exist yet. True when `make` ran."""
    ran = False
    with _file_lock(template.name):
        if not template.exists():
            with tempfile.TemporaryDirectory(prefix="bokvar-sqlite-") as scratch:
                folder = Path(scratch) / "data"
                folder.mkdir()
                make(folder)
                partial = template.with_suffix(".partial")
                _copy(folder / DATABASE_FILE, partial)
                # Renamed only once complete: a half-made template is never found.
                os.replace(partial, template)
            ran = True
    _copy(template, data_dir / DATABASE_FILE)
    return ran


def migrated_into(data_dir: Path, migrate: Callable[[Path], None]) -> bool:
    """Put a migrated database in `data_dir` as the embedded default's file. `migrate`
    migrates an empty data folder (`manage.py migrate`, the way `make run` does it) and
    runs only when no template of these migrations exists yet. True when it ran."""
    key = hashlib.sha256(f"sqlite\0{fingerprint()}".encode()).hexdigest()
    return _kept(template_path(key), migrate, data_dir)


# The project's own code, which seeding runs (the demo builders, the services, the
# models): a seeded template is kept only while none of it changes.
SOURCE_ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = {".venv", ".git", "var", "node_modules", "tests", "bench", "docs"}


def source_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(SOURCE_ROOT.rglob("*.py")):
        relative = path.relative_to(SOURCE_ROOT)
        if relative.parts[0] in NOT_SOURCE or relative.parts[0].startswith("."):
            continue
        data = path.read_bytes()
        digest.update(f"{relative}\0{len(data)}\0".encode())
        digest.update(data)
    # How the tests seed (one production hash of the password, tests/demo_seed.py).
    digest.update((SOURCE_ROOT / "tests" / "demo_seed.py").read_bytes())
    return digest.hexdigest()


def seeded_into(
    data_dir: Path,
    *,
    migrate: Callable[[Path], None],
    seed: Callable[[Path], None],
    day: date,
    password: str,
) -> bool:
    """Put a migrated database holding the demo data in `data_dir`. `seed` seeds a data
    folder already holding the migrated database (tests/demo_seed.py in a process of its
    own, the way the tests start a server on the embedded default); it runs only when no
    seeded template of these migrations, this code, this day and this password exists.
    The demo data is dated from the day it is made (deadlines, waiting times), so a
    template serves one day only. True when it ran."""
    key = hashlib.sha256(
        f"sqlite-seeded\0{fingerprint()}\0{source_digest()}\0{day.isoformat()}\0{password}".encode()
    ).hexdigest()
    template = Path(tempfile.gettempdir()) / f"bokvar-sqlite-seeded-{key[:24]}.sqlite3"

    def make(folder: Path) -> None:
        migrated_into(folder, migrate)
        seed(folder)

    return _kept(template, make, data_dir)
