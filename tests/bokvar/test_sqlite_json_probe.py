"""A SQLite connection opened while a colleague holds the write lock still knows that
SQLite reads JSON (bokvar/sqlite.py). Before the fix Django's own probe waited for the
lock inside a transaction, failed at the busy timeout and left the connection
believing JSON unsupported: the case page answered 500 ("JSONObject() is not
supported on this database backend") on the embedded default under load."""

from __future__ import annotations

import sqlite3

from django.db import connections

ALIAS = "busy_sqlite"


def test_json_support_is_known_while_another_connection_holds_the_write_lock(
    tmp_path, django_db_blocker
):
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")  # a colleague's write under way
    holder.execute("INSERT INTO t VALUES (1)")
    connections.settings[ALIAS] = connections.configure_settings(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            ALIAS: {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(path),
                # A short busy timeout: the probe gives up as it would after 20 s.
                "OPTIONS": {"timeout": 0.2, "transaction_mode": "IMMEDIATE"},
            },
        }
    )[ALIAS]
    try:
        with django_db_blocker.unblock():  # its own file, not the test database
            wrapper = connections[ALIAS]
            wrapper.ensure_connection()
            assert wrapper.features.supports_json_field is True
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        del connections.settings[ALIAS]
        holder.execute("ROLLBACK")
        holder.close()
