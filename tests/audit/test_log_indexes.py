"""Every page that shows a case or a person appends to the access log, and every index of
the log is written with each entry (issue 22). No index of the log is a plain index whose
columns lead another index: such an index only costs its writes."""

import pytest
from django.db import connection

from audit.models import AccessLogEntry

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"),
]


def test_no_index_of_the_log_is_the_leading_part_of_another():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.indkey::int2[], i.indisunique,
                   i.indpred IS NOT NULL, i.indexprs IS NOT NULL
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = %s::regclass
            """,
            [AccessLogEntry._meta.db_table],
        )
        indexes = cursor.fetchall()
    assert len(indexes) >= 5, indexes
    plain = [
        (name, list(keys))
        for name, keys, unique, partial, expressions in indexes
        if not unique and not partial and not expressions
    ]
    redundant = [
        (name, other)
        for name, keys in plain
        for other, other_keys, _u, other_partial, _e in indexes
        if other != name and not other_partial and list(other_keys)[: len(keys)] == keys
    ]
    assert redundant == []
