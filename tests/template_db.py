"""One migrated test database, kept while the migrations stay the same, cloned for each
test process (issue 14, point 6).

Under pytest-xdist every process used to create and migrate its own test database
(`test_bokvar_gw0`, `_gw1`): 30 s of migrations each, both at once on a two-core
machine. Here, on PostgreSQL, the first process to get here makes sure a template
database (`test_bokvar_template`) holds the migrations of this checkout while the others
wait; then each process makes its own database as a copy of it (`CREATE DATABASE
test_bokvar_gw1 TEMPLATE test_bokvar_template`, about a second), as Django's own
parallel test runner and Zulip's do. pytest-django then finds the copy already migrated
(it runs as with `--reuse-db`: `migrate` checks there is nothing to apply), and
everything after that is as before: the restricted database roles are set up per
process (tests/db_roles.py), the data layers and flushes work on the process's own copy.
One process without xdist does the same with its one database (`test_bokvar`).

The template is kept between runs and named by what made it (as Zulip keys its template
on a hash of its migrations): its comment holds `fingerprint()`, a hash of every
migration file of every installed app, of the project modules those files import, of
the installed packages' versions and of this module. A run whose fingerprint differs
(a migration added, changed, removed or renamed; a field class the migrations use
changed; Django upgraded) migrates a new template before anything copies it, and a
template whose migration did not finish has no comment, so it is never reused either.
On SQLite, or with `--reuse-db`/`--create-db`/`--nomigrations`, pytest-django's own
set-up runs unchanged.

The template is migrated the way the README's production steps migrate an empty
database: `setup_database_roles --migrate` with an owner and an application role named
after the template (tests/db_roles.py's `role_names`), so that every table is created by
the owner role. Its output is kept in the template's comment after the fingerprint. The
fresh-install test (tests/audit/test_fresh_install.py) checks a copy of that template
instead of migrating a second empty database the same way (issue 14: the same migration
from empty, about 30 s of CPU, once per checkout instead of twice per run).
"""

from __future__ import annotations

import ast
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import sys
import tempfile
from collections.abc import Generator, Iterable
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS

TEMPLATE_SUFFIX = "template"
ROOT = Path(__file__).resolve().parents[1]
MARKER = "bokvar test template "


class State:
    # The database name before pytest-django switched the connection to the test
    # database; set when this process's copy was made from the template.
    original_name: str | None = None
    # The copy itself: what drop_clone drops, whatever the connection is named by then
    # (after test_fresh_install alone it was named the original database again, and
    # the original database was dropped).
    clone_name: str | None = None
    # The template this process's copy was made from (None when the template is not
    # used: SQLite, --reuse-db, --create-db, --nomigrations).
    template: str | None = None


STATE = State()


def worker_id(config: pytest.Config) -> str | None:
    """xdist's name of this process (`gw0`, ...); None outside xdist."""
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get("workerid") if workerinput else None


def applies(config: pytest.Config) -> bool:
    from django.conf import settings

    if config.getvalue("reuse_db") or config.getvalue("create_db"):
        return False
    if config.getvalue("nomigrations"):
        return False
    engine = settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"]
    return engine.startswith("django.db.backends.postgresql") and len(settings.DATABASES) == 1


def _project_imports(source: bytes) -> set[str]:
    """The modules of this project that a migration file imports (anywhere in it,
    RunPython functions included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if (ROOT / name.split(".")[0] / "__init__.py").exists()}


def _module_file(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def migration_files() -> list[tuple[str, Path]]:
    """Every migration file Django would apply, named `app.migration`, in a fixed order."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    files = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        path = Path(sys.modules[type(migration).__module__].__file__ or "")
        files.append((f"{app_label}.{name}", path))
    return files


def fingerprint(files: Iterable[tuple[str, Path]] | None = None) -> str:
    """What the template's contents follow from: the migration files (names and bytes),
    the project modules they import (field classes, the legal calendar a data migration
    uses), the installed packages (their migrations and Django's schema editor), the
    database-related settings and this module (how the template is made)."""
    from django.conf import settings

    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    imported: set[str] = set()
    for label, path in migration_files() if files is None else files:
        source = path.read_bytes()
        add(label, source)
        imported |= _project_imports(source)
    for name in sorted(imported):
        module_file = _module_file(name)
        if module_file is not None:
            add(name, module_file.read_bytes())
    # A set: a checkout where `pip install -e .` left `bokvar.egg-info` beside the code
    # finds the project twice on sys.path, a worktree of the same commit once; both must
    # name the same template (a clean clone's CI migrated again after the lead's run).
    packages = sorted(
        {f"{dist.metadata['Name']}=={dist.version}" for dist in importlib.metadata.distributions()}
    )
    add("packages", "\n".join(packages).encode())
    add("apps", "\n".join(settings.INSTALLED_APPS).encode())
    add("user model", settings.AUTH_USER_MODEL.encode())
    add("template_db", Path(__file__).read_bytes())
    # How the template is migrated: the README's command, its roles and grants.
    for made_by in (
        "audit.management.commands.setup_database_roles",
        "audit.models",
        "tests.db_roles",
    ):
        module_file = _module_file(made_by)
        assert module_file is not None, made_by
        add(made_by, module_file.read_bytes())
    return digest.hexdigest()


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


def _migrate_template(connection: Any, template: str, verbosity: int) -> str:
    """Create `template` empty and migrate it as the README's production steps do:
    `setup_database_roles --migrate` (the owner role creates every table, the
    application role gets its grants). Returns the command's output."""
    from django.conf import settings
    from django.core.management import call_command

    from tests.db_roles import role_names

    test_settings = connection.settings_dict["TEST"]
    own_name = test_settings["NAME"]
    original_name = connection.settings_dict["NAME"]
    test_settings["NAME"] = template
    out = StringIO()
    try:
        # Django's create_test_db less its `migrate` as the connecting role (no app
        # without migrations has models, so its run_syncdb adds nothing; no database
        # cache, so its createcachetable neither).
        connection.creation._create_test_db(verbosity, autoclobber=True, keepdb=False)
        connection.close()
        settings.DATABASES[connection.alias]["NAME"] = template
        connection.settings_dict["NAME"] = template
        owner, app = role_names(template)
        call_command(
            "setup_database_roles",
            "--migrate",
            owner=owner,
            app=app,
            verbosity=max(verbosity - 1, 0),
            stdout=out,
        )
    finally:
        test_settings["NAME"] = own_name
        connection.close()
        connection.settings_dict["NAME"] = original_name
        settings.DATABASES[connection.alias]["NAME"] = original_name
    return out.getvalue()


def clone_from_template(config: pytest.Config, verbosity: int = 0) -> None:
    """Give this process its test database as a copy of the template of these migrations
    (migrating the template first if it is missing or was made from other ones)."""
    from django.db import connections

    connection = connections[DEFAULT_DB_ALIAS]
    # Django's own helpers for test databases (typed private in django-stubs): the
    # server connection without a database, as its parallel runner's cloning uses it.
    creation: Any = connection.creation
    own_name = creation._get_test_db_name()
    worker = worker_id(config)
    base = own_name.removesuffix(f"_{worker}") if worker else own_name
    template = f"{base}_{TEMPLATE_SUFFIX}"
    STATE.original_name = connection.settings_dict["NAME"]
    STATE.clone_name = own_name
    STATE.template = template
    marker = MARKER + fingerprint()
    quote = connection.ops.quote_name
    with _file_lock(template):
        with creation._nodb_cursor() as cursor:
            fresh = (_comment(cursor, template) or "").split("\n", 1)[0] == marker
        if not fresh:
            # Dropped and made again: no comment until every migration ran. The comment's
            # first line names what made it; the rest is the command's output.
            output = _migrate_template(connection, template, verbosity)
            with creation._nodb_cursor() as cursor:
                # A utility statement takes no bound parameter (server-side binding,
                # bokvar/settings.py): the comment is quoted here, as a literal.
                ops: Any = connection.ops  # PostgreSQL's, which composes SQL
                comment = ops.compose_sql("%s", [f"{marker}\n{output}"])
                cursor.execute(f"COMMENT ON DATABASE {quote(template)} IS {comment}")
        with creation._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(own_name)}")
            cursor.execute(f"CREATE DATABASE {quote(own_name)} TEMPLATE {quote(template)}")
            # A test database is thrown away at the end of the run: its commits need not
            # wait for the write-ahead log to reach the disk (durability across a crash of
            # the server is nothing a test checks). Every session on the copy, the servers
            # and workers the tests start included, takes this default; the product's own
            # setting is the server's (on).
            cursor.execute(f"ALTER DATABASE {quote(own_name)} SET synchronous_commit TO off")


def copy_template(connection: Any, name: str) -> str:
    """Make database `name` a copy of this process's template (dropping an older `name`);
    returns the output `setup_database_roles --migrate` gave when it migrated the
    template. Only after `clone_from_template` (STATE.template set)."""
    assert STATE.template is not None
    creation: Any = connection.creation
    quote = connection.ops.quote_name
    # The lock: a template being copied must have no other session (the other processes
    # copy it under the same lock).
    with _file_lock(STATE.template), creation._nodb_cursor() as cursor:
        comment = _comment(cursor, STATE.template) or ""
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
        cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(STATE.template)}")
    return comment.partition("\n")[2]


@pytest.fixture(scope="session")
def django_db_keepdb(
    request: pytest.FixtureRequest, django_db_modify_db_settings: None, django_db_blocker: Any
) -> bool:
    """pytest-django's `--reuse-db` flag; on PostgreSQL this process's test database has
    just been copied from the template, and is reused as it is."""
    if not applies(request.config):
        return bool(request.config.getvalue("reuse_db"))
    with django_db_blocker.unblock():
        clone_from_template(request.config, verbosity=request.config.option.verbose)
    return True


def drop_clone() -> None:
    """At the end of the run, drop this process's copy (pytest-django keeps databases
    it was told to reuse); the template stays for the next run."""
    from django.conf import settings
    from django.db import connections

    if STATE.original_name is None or STATE.clone_name is None:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    creation: Any = connection.creation
    own_name = STATE.clone_name
    # Never the database the suite was pointed at (DATABASE_URL names it: the data of
    # whoever runs the suite).
    assert own_name != STATE.original_name, own_name
    connection.close()
    connection.settings_dict["NAME"] = STATE.original_name
    settings.DATABASES[connection.alias]["NAME"] = STATE.original_name
    STATE.original_name = STATE.clone_name = None
    # FORCE: a server or worker a test started may still be closing its connection to
    # the copy (seen under load: "being accessed by other users"); the run is over and
    # the copy is this process's alone, so its last sessions are ended with it.
    with creation._nodb_cursor() as cursor:
        cursor.execute(
            f"DROP DATABASE IF EXISTS {connection.ops.quote_name(own_name)} WITH (FORCE)"
        )
