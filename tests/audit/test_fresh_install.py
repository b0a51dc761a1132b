"""The README's production steps on an empty database: the administrator runs
`setup_database_roles --migrate`, then the application works as its restricted role (it
appends to the access log and verifies it) and cannot shorten the log.

The suite's PostgreSQL template is migrated from empty by that very command, with an
owner and an application role of its own (tests/template_db.py), and keeps its output:
when this run's database was copied from it, the test checks a copy of the template
rather than migrating a second empty database the same way (about 30 s of CPU). Without
a template (--create-db, --reuse-db) it migrates an empty database itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests import template_db
from tests.db_roles import role_names

ROOT = Path(__file__).resolve().parents[2]

APP_SCRIPT = """
from django.db import connection
from audit import chain
from bokvar.models import User
user = User.objects.create(username="first")
chain.append(user_id=user.pk, object_type="cases.case", object_id=1, how="page")
chain.append(user_id=user.pk, object_type="cases.case", object_id=2, how="page")
print("verified", chain.verify().checked)
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    print("as", cursor.fetchone()[0])
    try:
        cursor.execute("TRUNCATE audit_accesslogentry")
    except Exception as exc:
        print("refused", type(exc).__name__)
"""


def _url(settings_dict, name: str, user: str) -> str:
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    password = settings_dict["PASSWORD"]
    auth = f"{user}:{password}" if password and user == settings_dict["USER"] else user
    return f"postgres://{auth}@{host}:{port}/{name}"


def _manage(url: str, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.skipif(connection.vendor != "postgresql", reason="roles exist on PostgreSQL only")
def test_fresh_install_runs_as_the_restricted_role(django_db_setup, django_db_blocker):
    # django_db_setup: the new database is named after this process's test database.
    settings_dict = connection.settings_dict
    name = f"{settings_dict['NAME'][:40]}_fresh"
    admin = psycopg.connect(_url(settings_dict, "postgres", settings_dict["USER"]), autocommit=True)
    template = template_db.STATE.template
    try:
        if template is not None:
            # Migrated from empty by `setup_database_roles --migrate` (its output kept),
            # as the template's own owner: a copy is that fresh install.
            owner, app = role_names(template)
            with django_db_blocker.unblock():
                out = template_db.copy_template(connection, name)
        else:
            owner, app = f"{name}_owner", f"{name}_app"
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
            out = _manage(
                _url(settings_dict, name, settings_dict["USER"]),
                "setup_database_roles",
                "--migrate",
                f"--owner={owner}",
                f"--app={app}",
                "--verbosity=0",
            )
        assert "Roles ready" in out
        out = _manage(_url(settings_dict, name, app), "shell", "--no-imports", "-c", APP_SCRIPT)
        assert out.split("\n")[:3] == ["verified 2", f"as {app}", "refused ProgrammingError"]
        # Every table belongs to the owner: nothing is left to the administrator or the app.
        with psycopg.connect(_url(settings_dict, name, settings_dict["USER"])) as db:
            owners = db.execute(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND relkind IN ('r', 'S')"
            ).fetchall()
        assert owners == [(owner,)]
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        # The template's roles stay with the template (its tables are theirs).
        for role in (app, owner) if template is None else ():
            admin.execute(
                "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN"
                f' DROP ROLE "{role}"; END IF; END $$'.replace("%s", f"'{role}'")
            )
        admin.close()
