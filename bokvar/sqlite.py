"""The embedded default (SQLite) under colleagues writing at once.

Django asks a new SQLite connection whether it supports JSON the first time a query
needs it (`DatabaseFeatures.supports_json_field`), by running `SELECT JSON(...)` inside
`transaction.atomic()`. With the write lock taken when a transaction begins
(`transaction_mode: IMMEDIATE`, bokvar/settings.py), that probe waits for any writer;
past the busy timeout it fails, and the connection then believes for good that SQLite
has no JSON: every page reading JSON (the case page's lists, `JSONObject`) answers 500
on that connection. The probe needs no transaction, so it is answered here, outside
one, as soon as the connection opens.
"""

from __future__ import annotations

import sqlite3
from typing import Any


def settle_json_support(sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: probe JSON support without taking the write lock."""
    if connection.vendor != "sqlite":
        return
    try:
        # A SELECT outside a transaction: sqlite3 begins none for it, so no lock waits.
        connection.connection.execute('SELECT JSON(\'{"a": "b"}\')').fetchone()
    except sqlite3.OperationalError:
        supported = False
    else:
        supported = True
    # cached_property: an instance attribute is what it would have cached.
    connection.features.supports_json_field = supported
