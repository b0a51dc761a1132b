"""Signed heads of the access log: what the database cannot take back.

The chain's HMAC key is in every application process, so whoever holds it and the
database can rewrite the chain and its checkpoints consistently. A head (sequence
number, hash, time) signed with an Ed25519 key that the web processes do not hold, and
written where the database's users cannot reach (an append-only file, syslog, the
auditors' mailboxes), pins the chain as it was: verification compares the database
with every exported head. See the README for the residual window.

A head is one line of JSON: {"v": 1, "seq": …, "hash": …, "at": …, "sig": …}, the
signature over `bokvar-access-log-head|v1|<seq>|<hash>|<at>`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import logging.handlers
import os
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bokvar.conf import setting

from . import chain
from .models import AccessLogEntry, ChainCheckpoint

log = logging.getLogger(__name__)
VERSION = 1


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    at: str
    sig: str = ""

    def message(self) -> bytes:
        return f"bokvar-access-log-head|v{VERSION}|{self.seq}|{self.hash}|{self.at}".encode()

    def line(self) -> str:
        return json.dumps(
            {"v": VERSION, "seq": self.seq, "hash": self.hash, "at": self.at, "sig": self.sig},
            separators=(",", ":"),
        )


class HeadError(Exception):
    """An exported head that cannot be read or does not carry a valid signature."""

    def __init__(self, line_no: int, reason: str):
        super().__init__(f"exported head on line {line_no}: {reason}" if line_no else reason)
        self.line_no = line_no


def _private_key() -> Ed25519PrivateKey:
    path = setting("AUDIT_HEAD_SIGNING_KEY_FILE")
    if not path:
        raise ImproperlyConfigured(
            "BOKVAR_AUDIT_HEAD_SIGNING_KEY_FILE is not set: this process cannot sign heads."
        )
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("BOKVAR_AUDIT_HEAD_SIGNING_KEY_FILE is not an Ed25519 key.")
    return key


def public_key() -> Ed25519PublicKey:
    text = setting("AUDIT_HEAD_PUBLIC_KEY")
    if not text:
        raise ImproperlyConfigured("BOKVAR_AUDIT_HEAD_PUBLIC_KEY is not set.")
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(
            "BOKVAR_AUDIT_HEAD_PUBLIC_KEY must be the base64 of a raw 32-byte Ed25519 key."
        ) from exc


def public_key_text(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.b64encode(raw).decode("ascii")


def can_seal() -> bool:
    return bool(setting("AUDIT_HEAD_SIGNING_KEY_FILE"))


def seal() -> Head:
    """Sign the chain's current head, keep it as a checkpoint and export it."""
    key = _private_key()
    path = setting("AUDIT_HEAD_FILE")
    if not path:
        raise ImproperlyConfigured("BOKVAR_AUDIT_HEAD_FILE is not set: nowhere to export heads.")
    with transaction.atomic():
        chain.lock()  # no append slips in between reading the head and recording it
        last = AccessLogEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, hash_ = last if last else (0, chain.GENESIS)
        previous = (
            ChainCheckpoint.objects.exclude(signature="")
            .order_by("-seq")
            .values_list("seq", "hash")
            .first()
        )
        if (
            previous
            and not AccessLogEntry.objects.filter(seq=previous[0], hash=previous[1]).exists()
        ):
            # Never vouch for a chain that no longer extends the last signed head.
            raise HeadError(0, f"the chain no longer extends the head sealed at {previous[0]}")
        at = timezone.now().astimezone(UTC).isoformat(timespec="seconds")
        unsigned = Head(seq, hash_, at)
        head = Head(seq, hash_, at, base64.b64encode(key.sign(unsigned.message())).decode())
        if seq:
            ChainCheckpoint.objects.create(seq=seq, hash=hash_, signature=head.sig)
        # The file is the export of record: if it cannot be written, nothing is recorded.
        _append_to_file(Path(path), head.line())
    _to_syslog(head)
    _to_auditors(head)
    return head


def _append_to_file(path: Path, line: str) -> None:
    # O_APPEND: every write lands at the end even if the file is shared; in production
    # the file is append-only for the operating system too (chattr +a, README).
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _syslog_address(spec: str):
    if spec.startswith("/"):
        return spec
    host, _sep, port = spec.rpartition(":")
    return (host or "127.0.0.1", int(port or 514))


def _to_syslog(head: Head) -> None:
    spec = setting("AUDIT_HEAD_SYSLOG")
    if not spec:
        return
    try:
        handler = logging.handlers.SysLogHandler(
            address=_syslog_address(spec), facility=logging.handlers.SysLogHandler.LOG_AUTH
        )
    except OSError:
        log.exception("syslog at %s is unreachable: head %s not sent there", spec, head.seq)
        return
    try:
        record = logging.LogRecord(
            "bokvar.audit.head",
            logging.WARNING,
            __file__,
            0,
            "bokvar-access-log-head %s",
            (head.line(),),
            None,
        )
        handler.emit(record)
    finally:
        handler.close()


def _to_auditors(head: Head) -> None:
    from .tasks import auditors  # the one list of who audits

    recipients = sorted({u.email for u in auditors() if u.email})
    if not recipients:
        return
    with translation.override("sv"):
        subject = _("Access log head %(seq)s") % {"seq": head.seq}
        body = (
            _(
                "The access log's head, signed. Keep this message: verification compares "
                "the database with it, so a log shortened or rewritten later is detected."
            )
            + "\n\n"
            + head.line()
        )
    try:
        send_mail(subject, body, None, recipients)
    except Exception:  # the head is in the file already; mail is one copy of several
        log.exception("could not e-mail head %s to the auditors", head.seq)


def load(path: str | Path, key: Ed25519PublicKey | None = None) -> list[Head]:
    """Every head in an export file, each signature checked (HeadError otherwise)."""
    key = key or public_key()
    heads = []
    text = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            head = Head(int(data["seq"]), str(data["hash"]), str(data["at"]), str(data["sig"]))
            key.verify(base64.b64decode(head.sig, validate=True), head.message())
        except InvalidSignature as exc:
            raise HeadError(line_no, "the signature does not match") from exc
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise HeadError(line_no, "not a head") from exc
        heads.append(head)
    return heads


def check(heads: list[Head], last_seq: int) -> chain.Problem | None:
    """The database against the exported heads (the chain itself already walked clean up
    to `last_seq`): the first problem, or None."""
    heads = sorted((h for h in heads if h.seq > 0), key=lambda h: h.seq)
    if not heads:
        return None
    wanted = {h.seq for h in heads if h.seq <= last_seq}
    stored: dict[int, str] = {}
    checkpoints: set[tuple[int, str]] = set()
    seqs = sorted(wanted)
    for start in range(0, len(seqs), 5000):
        part = seqs[start : start + 5000]
        stored.update(AccessLogEntry.objects.filter(seq__in=part).values_list("seq", "hash"))
        checkpoints.update(ChainCheckpoint.objects.filter(seq__in=part).values_list("seq", "hash"))
    for head in heads:
        if head.seq <= last_seq and stored[head.seq] != head.hash:
            return chain.Problem("rewritten", head.seq)
    if heads[-1].seq > last_seq:
        # Entries the export vouches for are gone from the end of the chain.
        return chain.Problem("truncated", last_seq + 1)
    for head in heads:
        if (head.seq, head.hash) not in checkpoints:
            return chain.Problem("checkpoint", head.seq)
    return None


def verify(path: str | Path | None = None) -> chain.Verdict:
    """The chain walked, then compared with every exported head (from `path`, else the
    configured export file). Without an export only the walk is done (heads=None)."""
    verdict = chain.verify()
    path = path or setting("AUDIT_HEAD_FILE")
    if not verdict.ok or not path:
        return verdict
    try:
        exported = load(path)
    except HeadError as exc:
        return chain.Verdict(verdict.checked, chain.Problem("head", exc.line_no), 0)
    # A clean walk checks entries 1..n without gaps, so n is the last sequence number.
    return chain.Verdict(verdict.checked, check(exported, verdict.checked), len(exported))
