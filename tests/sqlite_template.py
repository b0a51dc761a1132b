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


def migrated_into(data_dir: Path, migrate: Callable[[Path], None]) -> bool:
    """Put a migrated database in `data_dir` as the embedded default's file. `migrate`
    migrates an empty data folder (`manage.py migrate`, the way `make run` does it) and
    runs only when no template of these migrations exists yet. True when it ran."""
    key = hashlib.sha256(f"sqlite\0{fingerprint()}".encode()).hexdigest()
    template = template_path(key)
    ran = False
    with _file_lock(template.name):
        if not template.exists():
            with tempfile.TemporaryDirectory(prefix="bokvar-sqlite-migrate-") as scratch:
                folder = Path(scratch) / "data"
                folder.mkdir()
                migrate(folder)
                partial = template.with_suffix(".partial")
                _copy(folder / DATABASE_FILE, partial)
                # Renamed only once complete: a half-made template is never found.
                os.replace(partial, template)
            ran = True
    _copy(template, data_dir / DATABASE_FILE)
    return ran
