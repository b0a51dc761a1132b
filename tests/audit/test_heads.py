"""Signed heads of the access log (issue 17, point 2): exported to a file, syslog and the
auditors, checked by verification; the signing key is a file only sealers read."""

from __future__ import annotations

import base64
import json
import socket
import stat
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from audit import heads
from audit.models import ChainCheckpoint
from audit.tasks import seal_chain_head

from .helpers import add_entries, tampering

SYSLOG_PORT = 8171  # this branch's port range


def test_a_sealed_head_goes_to_the_file_syslog_and_the_auditors(
    signed_heads, settings, caseworker, auditor
):
    auditor.email = "granskare@example.se"
    auditor.save(update_fields=["email"])
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", SYSLOG_PORT))
    receiver.settimeout(10)
    settings.BOKVAR = {**settings.BOKVAR, "AUDIT_HEAD_SYSLOG": f"127.0.0.1:{SYSLOG_PORT}"}
    try:
        add_entries(caseworker, 3)
        out = StringIO()
        call_command("seal_chain_head", stdout=out)
        datagram = receiver.recv(4096).decode()
    finally:
        receiver.close()
    lines = signed_heads.export.read_text().splitlines()
    assert len(lines) == 1
    exported = json.loads(lines[0])
    assert exported["seq"] == 3
    signed_heads.key.public_key().verify(
        base64.b64decode(exported["sig"]), heads.Head(3, exported["hash"], exported["at"]).message()
    )
    assert lines[0] in datagram and "bokvar-access-log-head" in datagram
    assert [m.to for m in mail.outbox] == [["granskare@example.se"]]
    assert lines[0] in mail.outbox[0].body
    assert mail.outbox[0].subject == "Åtkomstloggens huvud 3"
    checkpoint = ChainCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.hash, checkpoint.signature) == (
        3,
        exported["hash"],
        exported["sig"],
    )
    assert "entry 3" in out.getvalue()
    # Appended, never rewritten.
    add_entries(caseworker, 1)
    call_command("seal_chain_head", stdout=StringIO())
    assert signed_heads.export.read_text().splitlines()[0] == lines[0]
    assert json.loads(signed_heads.export.read_text().splitlines()[1])["seq"] == 4


def test_verification_compares_with_every_head(signed_heads, caseworker):
    add_entries(caseworker, 2)
    call_command("seal_chain_head", stdout=StringIO())
    add_entries(caseworker, 2)
    call_command("seal_chain_head", stdout=StringIO())
    out = StringIO()
    call_command("verify_access_log", stdout=out)
    assert "4 entries verified against 2 signed heads" in out.getvalue()


@pytest.mark.parametrize("forgery", ["edited", "other-key"])
def test_a_forged_head_is_reported(signed_heads, caseworker, forgery):
    add_entries(caseworker, 2)
    call_command("seal_chain_head", stdout=StringIO())
    line = json.loads(signed_heads.export.read_text())
    if forgery == "edited":
        line["seq"] = 1  # the insider would like the log to look shorter
    else:
        other = Ed25519PrivateKey.generate()
        message = heads.Head(line["seq"], line["hash"], line["at"]).message()
        line["sig"] = base64.b64encode(other.sign(message)).decode()
    signed_heads.export.write_text(json.dumps(line) + "\n")
    with pytest.raises(CommandError, match="head on line 1 is not genuine"):
        call_command("verify_access_log")


def test_an_auditors_own_copy_can_be_given(signed_heads, settings, caseworker, tmp_path):
    add_entries(caseworker, 3)
    call_command("seal_chain_head", stdout=StringIO())
    copy = tmp_path / "auditor-copy.jsonl"
    copy.write_text(signed_heads.export.read_text())
    settings.BOKVAR = {**settings.BOKVAR, "AUDIT_HEAD_FILE": str(tmp_path / "wiped.jsonl")}
    with tampering(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_accesslogentry WHERE seq = 3")
        cursor.execute("DELETE FROM audit_chaincheckpoint")
    call_command("verify_access_log", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="entries from 3 on were removed"):
        call_command("verify_access_log", heads=str(copy))


def test_sealing_needs_the_key_file_and_settings_hold_no_private_key(settings, caseworker):
    settings.BOKVAR = {**settings.BOKVAR, "AUDIT_HEAD_SIGNING_KEY_FILE": ""}
    with pytest.raises(CommandError, match="BOKVAR_AUDIT_HEAD_SIGNING_KEY_FILE"):
        call_command("seal_chain_head")
    # What the web processes load: no private key among the settings.
    for name in dir(django_settings):
        if name.isupper():
            assert "PRIVATE KEY" not in repr(getattr(django_settings, name)), name


def test_a_chain_that_no_longer_extends_the_last_head_is_not_sealed(signed_heads, caseworker):
    add_entries(caseworker, 3)
    call_command("seal_chain_head", stdout=StringIO())
    with tampering(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_accesslogentry SET hash = repeat('a', 64) WHERE seq = 3")
    with pytest.raises(heads.HeadError, match="no longer extends the head sealed at 3"):
        heads.seal()
    assert len(signed_heads.export.read_text().splitlines()) == 1


def test_a_new_key_is_written_private_and_never_overwritten(tmp_path):
    path = tmp_path / "key.pem"
    out = StringIO()
    call_command("seal_chain_head", new_key=str(path), stdout=out)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert out.getvalue().startswith("BOKVAR_AUDIT_HEAD_PUBLIC_KEY=")
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("seal_chain_head", new_key=str(path))


def test_heads_are_sealed_at_least_hourly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["seal-access-log-head"]
    assert entry["task"] == "audit.seal_chain_head"
    assert entry["schedule"] <= 3600


def test_the_hourly_task_seals(signed_heads, caseworker):
    add_entries(caseworker, 2)
    assert seal_chain_head() == 2
    assert json.loads(signed_heads.export.read_text())["seq"] == 2
