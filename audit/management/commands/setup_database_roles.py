"""Two PostgreSQL roles: an owner that runs migrations and the application's role.

The application (web, workers, beat) connects as the application role. It may read and
write the ordinary tables, but on the access log and its checkpoints only INSERT and
SELECT: it owns nothing, so it cannot TRUNCATE, disable or drop the append-only triggers,
or change ownership. Run as a database administrator (a superuser, or a role with
CREATEROLE that can grant on the tables); idempotent, so it is also what every upgrade
runs (`--migrate` applies the migrations as the owner in the same step).
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from audit.models import APPEND_ONLY_MODELS

# Ordinary tables: what the application does with rows, never with the table.
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
APPEND_ONLY_PRIVILEGES = "SELECT, INSERT"


def _ident(name: str) -> str:
    return connection.ops.quote_name(name)


def _ensure_role(cursor, name: str) -> None:
    cursor.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = %s", [name])
    row = cursor.fetchone()
    if row is None:
        # LOGIN without a password: the administrator sets one (ALTER ROLE … PASSWORD,
        # psql's \password) or uses certificate/peer authentication; never on a command line.
        cursor.execute(f"CREATE ROLE {_ident(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    elif row[0]:
        # A superuser ignores every grant: neither role may be one (and we never demote one).
        raise CommandError(f"role '{name}' is a superuser or bypasses row security")


def grant(cursor, *, owner: str, app: str) -> None:
    """Ownership to the owner, row privileges to the application, append-only tables
    narrowed to INSERT and SELECT. Covers tables created later by the owner too."""
    o, a = _ident(owner), _ident(app)
    # ALTER TABLE refuses a table with deferred constraint checks still pending in this
    # transaction (rows written earlier in it): check them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SELECT current_database(), current_schema()")
    database, schema = cursor.fetchone()
    s = _ident(schema)
    cursor.execute(f"GRANT CONNECT, TEMPORARY ON DATABASE {_ident(database)} TO {o}, {a}")
    cursor.execute(f"GRANT USAGE, CREATE ON SCHEMA {s} TO {o}")
    cursor.execute(f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC, {a}")
    cursor.execute(f"GRANT USAGE ON SCHEMA {s} TO {a}")
    # Whatever an earlier `migrate` (as another role) created now belongs to the owner.
    cursor.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S')"
        " AND pg_get_userbyid(c.relowner) <> %s"
        # Sequences owned by a column move with their table.
        " AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d"
        "   WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))",
        [schema, owner],
    )
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for name, kind in cursor.fetchall():
        cursor.execute(f"ALTER {kinds[kind]} {s}.{_ident(name)} OWNER TO {o}")
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = %s AND pg_get_userbyid(p.proowner) <> %s",
        [schema, owner],
    )
    for (signature,) in cursor.fetchall():
        cursor.execute(f"ALTER FUNCTION {signature} OWNER TO {o}")

    cursor.execute(f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {s} TO {a}")
    cursor.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {a}")
    cursor.execute(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s}"
        f" GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {a}"
    )
    cursor.execute(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s}"
        f" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {a}"
    )
    for model in APPEND_ONLY_MODELS:
        table = f"{s}.{_ident(model._meta.db_table)}"
        cursor.execute("SELECT to_regclass(%s)", [table])
        if cursor.fetchone()[0] is None:
            continue  # not migrated yet: the run after `migrate` narrows it
        cursor.execute(f"REVOKE ALL ON {table} FROM PUBLIC, {a}")
        cursor.execute(f"GRANT {APPEND_ONLY_PRIVILEGES} ON {table} TO {a}")
    # Neither role may act as the other: membership would hand the app the owner's rights.
    cursor.execute(
        "SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
        " JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = %s AND u.rolname = %s",
        [owner, app],
    )
    if cursor.fetchone():
        raise CommandError(f"role '{app}' is a member of '{owner}': revoke that first")


class Command(BaseCommand):
    help = (
        "Create the owner and application database roles and their grants (run as a "
        "database administrator; idempotent). With --migrate, apply migrations as the owner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="bokvar_owner", help="role that owns the schema")
        parser.add_argument("--app", default="bokvar_app", help="role the application uses")
        parser.add_argument(
            "--migrate", action="store_true", help="run `migrate` as the owner before granting"
        )

    def handle(self, *args, owner: str, app: str, migrate: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("database roles exist on PostgreSQL only")
        if owner == app:
            raise CommandError("the owner and the application need two different roles")
        with transaction.atomic(), connection.cursor() as cursor:
            _ensure_role(cursor, owner)
            _ensure_role(cursor, app)
            grant(cursor, owner=owner, app=app)
        if migrate:
            with connection.cursor() as cursor:
                cursor.execute(f"SET ROLE {_ident(owner)}")
            try:
                call_command("migrate", interactive=False, verbosity=options["verbosity"])
            finally:
                with connection.cursor() as cursor:
                    cursor.execute("RESET ROLE")
            with transaction.atomic(), connection.cursor() as cursor:
                grant(cursor, owner=owner, app=app)
        self.stdout.write(
            f"Roles ready: '{owner}' owns the schema (run migrations as it), '{app}' is the"
            " application's (INSERT and SELECT only on the access log and its checkpoints)."
        )
