"""The suite runs as the application's restricted database role (issue 17, point 1).

On PostgreSQL, once pytest-django has created and migrated the test database (as the
role in DATABASE_URL, the administrator), `setup_database_roles` makes the two roles of
the README's production steps for it: an owner that owns every table, and the
application's role with row privileges only, and on the access log and its checkpoints
INSERT and SELECT only. From then on every connection of the suite (tests, live-server
and Celery-worker threads) acts as the application's role (`SET ROLE` when it connects):
whatever the application does in a test, PostgreSQL checks against the privileges it has
in production, and a statement it may not run fails the test.

Roles are shared by the whole PostgreSQL cluster, so their names come from the test
database's (`test_bokvar_gw0_app` under xdist). Two things in the suite need more than
the application may do, and say so:

- the flush after a transactional test empties the access log with TRUNCATE, as the
  owner (`SET LOCAL ROLE`, in the flush's own transaction: `owner_flush_sql`);
- tests that play the administrator or the superuser attacker (altering triggers,
  rewriting the log, creating roles) run inside `as_database_admin()`.

`BOKVAR_TEST_DB_ROLE=admin` runs the suite as the connecting role instead (to tell a
privilege failure from another one); SQLite has no roles and nothing changes there.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from contextlib import contextmanager
from io import StringIO
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection
from django.db.backends.signals import connection_created


class Roles:
    owner: str = ""
    app: str = ""
    database: str = ""


ROLES = Roles()


def role_names(database: str) -> tuple[str, str]:
    prefix = database[:40]
    return f"{prefix}_owner", f"{prefix}_app"


def active() -> bool:
    return bool(ROLES.app)


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _act_as_application(sender: Any, connection: Any, **kwargs: Any) -> None:
    if (
        ROLES.app
        and connection.alias == DEFAULT_DB_ALIAS
        and connection.settings_dict["NAME"] == ROLES.database
    ):
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(ROLES.app)}")


def become_application() -> None:
    """Create the roles (as the administrator), then act as the application's role on
    this connection and every new one."""
    if connection.vendor != "postgresql" or os.environ.get("BOKVAR_TEST_DB_ROLE") == "admin":
        return
    from django.core.management import call_command

    database = connection.settings_dict["NAME"]
    owner, app = role_names(database)
    call_command("setup_database_roles", owner=owner, app=app, stdout=StringIO())
    ROLES.owner, ROLES.app, ROLES.database = owner, app, database
    connection_created.connect(_act_as_application, dispatch_uid="tests.db_roles")
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {_quote(app)}")


@contextmanager
def as_database_admin() -> Generator[None]:
    """Inside a test: act as the connecting administrator (a superuser in CI) on the
    test's own connection and transaction, then as the application again."""
    if not active():
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET ROLE {_quote(ROLES.app)}")
        except DatabaseError:
            # The transaction failed inside: its rollback undoes the RESET as well.
            pass


def owner_flush_sql(truncates: list[str]) -> list[str]:
    """The flush's TRUNCATE of the append-only tables, run as their owner: the
    application's role may not, which is the point."""
    if not truncates or not active():
        return truncates
    return [f"SET LOCAL ROLE {_quote(ROLES.owner)};", *truncates]
