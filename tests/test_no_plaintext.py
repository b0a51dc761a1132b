"""Nothing a person told us is readable in the database: every text and binary column
of every table (history tables included) is read raw and searched for the fixtures."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse

from tests.cases.core.test_case_flow import create_payload

pytestmark = pytest.mark.django_db

SECRETS = [
    "Lina",
    "Åkesson",
    "196007071290",
    "19600707-1290",
    "600707-1290",
    "6007071290",
    "Dalagatan 12",
    "Odengatan 99",
    "070-111 22 33",
    "070-999 88 77",
    "lina@example.se",
    "Hyresskuld 24 000 kr",
    "Spelskulder och depression",
    "tigrinja",
]


# Random text a secret can turn up in by chance: a stored ciphertext
# (``enc2:<key id>:<row key>:<base64>``, bokvar/crypto.py) and any other long run of the
# base64 alphabet (password hashes, signed sessions, tokens). A short secret such as
# "Lina" matched case-insensitively sits in some base64 payload of the database about
# once in a hundred runs (it did: a phone number's ciphertext held "LiNa"). Masking
# them cannot hide a leak: a plaintext value has separators (spaces, "@", "-", "Å")
# or stands alone, so no secret here lies inside such a run.
RANDOM_TEXT = re.compile(r"enc[12]:[^:\s\"']+:[^:\s\"']+:[A-Za-z0-9+/=]+|[A-Za-z0-9+/=_-]{32,}")


def raw_text_values():
    """(table, column, value) for every textual or binary value in the database."""
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            columns = [col.name for col in introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "ignore")
                    if isinstance(value, str):
                        yield table, column, value
                    elif isinstance(value, (dict, list)):
                        yield table, column, str(value)


def test_no_personal_data_in_any_table_or_history(client, org):
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    payload = create_payload(
        org,
        **{
            "people-0-needs_interpreter": "on",
            "people-0-interpreter_language": "tigrinja",
        },
    )
    assert client.post(reverse("cases:create"), payload).status_code == 302
    from cases.models import Case

    case = Case.objects.get()
    person = case.household.head
    response = client.post(
        reverse("cases:person_edit", args=[case.pk, person.pk]),
        {
            "given_name": "Lina",
            "family_name": "Åkesson",
            "personal_number": "6007071290",
            "address": "Odengatan 99",
            "phone": "070-999 88 77",
            "email": "lina@example.se",
            "protected_identity": "none",
            "notes": "Spelskulder och depression",
            "version": person.version,
        },
    )
    assert response.status_code == 302
    # The values are really there, readable through the application...
    person.refresh_from_db()
    assert person.notes == "Spelskulder och depression"
    assert person.history.count() == 2
    # ...and nowhere readable in the database.
    leaks = [
        (table, column, secret)
        for table, column, value in raw_text_values()
        for secret in SECRETS
        if secret.casefold() in RANDOM_TEXT.sub(" ", value).casefold()
    ]
    assert leaks == []


def test_history_rows_hold_ciphertext(org, make_case):
    from cases.models import Person

    make_case()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT given_name FROM {Person.history.model._meta.db_table}")  # noqa: S608
        values = [row[0] for row in cursor.fetchall()]
    assert values and all(v.startswith("enc2:") for v in values)


def test_history_tables_have_no_index_on_ciphertext():
    from django.apps import apps

    from bokvar.fields import encrypted_fields

    with connection.cursor() as cursor:
        for model in apps.get_models():
            fields = {f.column for f in encrypted_fields(model)}
            if not fields:
                continue
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            indexed = {
                col
                for c in constraints.values()
                if c["index"] or c["unique"]
                for col in c["columns"]
            }
            assert not fields & indexed, model._meta.db_table
