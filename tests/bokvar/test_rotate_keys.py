import base64

import pytest
from django.core.management import call_command

from bokvar import crypto
from cases.models import Person

pytestmark = pytest.mark.django_db

NEW = "k2:" + base64.b64encode(b"N" * 32).decode()


def _raw_prefixes():
    from django.apps import apps
    from django.db import connection

    from bokvar.fields import encrypted_fields

    seen = set()
    with connection.cursor() as cursor:
        for model in apps.get_models():
            for field in encrypted_fields(model):
                cursor.execute(f"SELECT {field.column} FROM {model._meta.db_table}")  # noqa: S608
                seen |= {v.split(":", 2)[1] for (v,) in cursor.fetchall() if v}
    return seen


def test_after_rotation_the_old_key_can_be_removed(settings, make_case, capsys):
    old_keys = settings.FIELD_ENCRYPTION_KEYS
    case = make_case()
    person = case.household.head
    person.notes = "Anteckning före rotation"
    person.save()
    expected = {p.pk: (p.full_name, p.notes, p.address) for p in Person.objects.all()}
    history_expected = sorted((h.given_name, h.notes) for h in Person.history.all())
    assert _raw_prefixes() == {"dev1"}

    settings.FIELD_ENCRYPTION_KEYS = f"{NEW},{old_keys}"
    call_command("rotate_keys", "--batch-size", "2")
    assert "re-encrypted with key 'k2'" in capsys.readouterr().out
    assert _raw_prefixes() == {"k2"}

    settings.FIELD_ENCRYPTION_KEYS = NEW  # the old key is gone
    assert {p.pk: (p.full_name, p.notes, p.address) for p in Person.objects.all()} == expected
    assert sorted((h.given_name, h.notes) for h in Person.history.all()) == history_expected
    call_command("check_encryption")


def test_rotation_is_resumable_and_idempotent(settings, make_case, capsys):
    make_case()
    settings.FIELD_ENCRYPTION_KEYS = f"{NEW},{settings.FIELD_ENCRYPTION_KEYS}"
    call_command("rotate_keys", "--dry-run")
    pending = int(capsys.readouterr().out.strip().splitlines()[-1].split()[0])
    assert pending > 0
    call_command("rotate_keys")
    capsys.readouterr()
    call_command("rotate_keys")
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("0 rows re-encrypted")


def test_check_encryption_fails_when_a_key_is_missing(settings, make_case):
    from django.core.management.base import CommandError

    make_case()
    settings.FIELD_ENCRYPTION_KEYS = NEW
    with pytest.raises(CommandError):
        call_command("check_encryption")
    with pytest.raises(crypto.DecryptionError):
        list(Person.objects.all())


def test_an_interrupted_rotation_resumes_where_it_stopped(settings, make_case, monkeypatch):
    """A crash mid-run keeps the batches already committed and loses nothing; the next
    run re-encrypts only what is left, and then the old key can go."""
    for n in range(4):
        case = make_case()
        person = case.household.head
        person.notes = f"Anteckning {n}"
        person.save()
    expected = {p.pk: (p.full_name, p.notes) for p in Person.objects.all()}
    settings.FIELD_ENCRYPTION_KEYS = f"{NEW},{settings.FIELD_ENCRYPTION_KEYS}"

    real = crypto.reencrypt
    calls = {"n": 0}

    def failing(stored, **where):
        calls["n"] += 1
        if calls["n"] > 30:  # the machine dies partway, a few batches in
            raise KeyboardInterrupt
        return real(stored, **where)

    monkeypatch.setattr(crypto, "reencrypt", failing)
    with pytest.raises(KeyboardInterrupt):
        call_command("rotate_keys", "--batch-size", "2", verbosity=0)
    prefixes = _raw_prefixes()
    assert prefixes == {"k2", "dev1"}, "some batches committed, the rest still on the old key"

    monkeypatch.setattr(crypto, "reencrypt", real)
    reencrypted = []
    monkeypatch.setattr(
        crypto,
        "reencrypt",
        lambda stored, **where: reencrypted.append(stored) or real(stored, **where),
    )
    call_command("rotate_keys", "--batch-size", "2", verbosity=0)
    # Only values still on the old key were touched the second time.
    assert reencrypted and all(v.startswith(f"{crypto.PREFIX}:dev1:") for v in reencrypted)
    assert _raw_prefixes() == {"k2"}

    settings.FIELD_ENCRYPTION_KEYS = NEW
    assert {p.pk: (p.full_name, p.notes) for p in Person.objects.all()} == expected
    call_command("check_encryption")
