from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

from audit import chain
from audit.models import APPEND_ONLY_MODELS
from tests.db_roles import as_database_admin


def add_entries(user, n: int, **extra) -> None:
    for i in range(n):
        chain.append(
            user_id=user.pk,
            object_type="cases.case",
            object_id=i + 1,
            how="page",
            ip="127.0.0.1",
            case_id=extra.get("case_id", i + 1),
            person_id=extra.get("person_id"),
            unit_id=extra.get("unit_id"),
        )


@contextmanager
def tampering():
    """Only inside a test: play the superuser attacker, who switches the append-only
    trigger off (as the administrator: the application's role may not)."""
    tables = [model._meta.db_table for model in APPEND_ONLY_MODELS]
    if connection.vendor == "postgresql":
        with as_database_admin():
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            try:
                yield
            finally:
                with connection.cursor() as cursor:
                    for table in tables:
                        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    else:
        yield
