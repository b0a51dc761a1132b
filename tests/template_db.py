"""One migrated test database per run, cloned for each test process (issue 14, point 6).

Under pytest-xdist every process used to create and migrate its own test database
(`test_bokvar_gw0`, `_gw1`): 30 s of migrations each, both at once on a two-core
machine. Here, on PostgreSQL, the first process to get here migrates a template
database (`test_bokvar_template`) once per run while the others wait; then each process
makes its own database as a copy of it (`CREATE DATABASE test_bokvar_gw1 TEMPLATE
test_bokvar_template`, about a second), as Django's own parallel test runner and
Zulip's do. pytest-django then finds the copy already migrated (it runs as with
`--reuse-db`: `migrate` checks there is nothing to apply), and everything after that
is as before: the restricted database roles are set up per process
(tests/db_roles.py), the data layers and flushes work on the process's own copy.

The template belongs to one run (its comment carries xdist's run id): a new run,
whose migrations may differ, migrates a new one. It is not reused across runs, so a
run's time always includes migrating once. Without xdist, on SQLite, or with
`--reuse-db`/`--create-db`, pytest-django's own set-up runs unchanged.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS

TEMPLATE_SUFFIX = "template"


class State:
    # The database name before pytest-django switched the connection to the test
    # database; set when this process's copy was made from the template.
    original_name: str | None = None


STATE = State()


def run_id(config: pytest.Config) -> str | None:
    """xdist's id of this run, shared by its processes; None outside xdist."""
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get("testrunuid") if workerinput else None


def applies(config: pytest.Config) -> bool:
    from django.conf import settings

    if run_id(config) is None:
        return False
    if config.getvalue("reuse_db") or config.getvalue("create_db"):
        return False
    if config.getvalue("nomigrations"):
        return False
    engine = settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"]
    return engine.startswith("django.db.backends.postgresql") and len(settings.DATABASES) == 1


@contextmanager
def _file_lock(name: str) -> Generator[None]:
    path = Path(tempfile.gettempdir()) / f"{name}.lock"
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _comment(cursor: Any, database: str) -> str | None:
    cursor.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [database],
    )
    row = cursor.fetchone()
    return None if row is None else (row[0] or "")


def _migrate_template(connection: Any, template: str, verbosity: int) -> None:
    """Create and migrate `template` with Django's own test-database creation."""
    from django.conf import settings

    test_settings = connection.settings_dict["TEST"]
    own_name = test_settings["NAME"]
    original_name = connection.settings_dict["NAME"]
    test_settings["NAME"] = template
    try:
        connection.creation.create_test_db(
            verbosity=verbosity, autoclobber=True, serialize=False, keepdb=False
        )
    finally:
        test_settings["NAME"] = own_name
        connection.close()
        connection.settings_dict["NAME"] = original_name
        settings.DATABASES[connection.alias]["NAME"] = original_name


def clone_from_template(config: pytest.Config, verbosity: int = 0) -> None:
    """Give this process its test database as a copy of this run's migrated template."""
    from django.db import connections

    connection = connections[DEFAULT_DB_ALIAS]
    # Django's own helpers for test databases (typed private in django-stubs): the
    # server connection without a database, as its parallel runner's cloning uses it.
    creation: Any = connection.creation
    own_name = creation._get_test_db_name()
    worker = config.workerinput["workerid"]  # type: ignore[attr-defined]
    base = own_name.removesuffix(f"_{worker}")
    template = f"{base}_{TEMPLATE_SUFFIX}"
    STATE.original_name = connection.settings_dict["NAME"]
    marker = f"bokvar test template {run_id(config)}"
    quote = connection.ops.quote_name
    with _file_lock(template):
        with creation._nodb_cursor() as cursor:
            fresh = _comment(cursor, template) == marker
        if not fresh:
            _migrate_template(connection, template, verbosity)
            with creation._nodb_cursor() as cursor:
                cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS %s", [marker])
        with creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(own_name)}")
            cursor.execute(f"CREATE DATABASE {quote(own_name)} TEMPLATE {quote(template)}")


@pytest.fixture(scope="session")
def django_db_keepdb(
    request: pytest.FixtureRequest, django_db_modify_db_settings: None, django_db_blocker: Any
) -> bool:
    """pytest-django's `--reuse-db` flag; under xdist on PostgreSQL this process's test
    database has just been copied from the run's template, and is reused as it is."""
    if not applies(request.config):
        return bool(request.config.getvalue("reuse_db"))
    with django_db_blocker.unblock():
        clone_from_template(request.config, verbosity=request.config.option.verbose)
    return True


def drop_clone() -> None:
    """At the end of the run, drop this process's copy (pytest-django keeps databases
    it was told to reuse)."""
    from django.db import connections

    if STATE.original_name is not None:
        connections[DEFAULT_DB_ALIAS].creation.destroy_test_db(STATE.original_name, verbosity=0)
        STATE.original_name = None
