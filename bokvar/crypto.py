"""Field encryption (AES-256-GCM) and blind indexes. The only module that knows keys.

A stored value looks like ``enc1:<key id>:<base64(nonce || ciphertext+tag)>``. The
key id says which key decrypts it, so keys can rotate: the first configured key
encrypts, every configured key decrypts. A value that cannot be decrypted raises
:class:`DecryptionError`; nothing is ever passed through as if it were plaintext.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key, tampering, not ciphertext)."""


@dataclass(frozen=True)
class Keyring:
    primary_id: str
    keys: dict[str, AESGCM]


def parse_keys(spec: str) -> Keyring:
    keys: dict[str, AESGCM] = {}
    order: list[str] = []
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id or ":" in key_id:
            raise ImproperlyConfigured("BOKVAR_FIELD_KEYS: each key must be 'id:base64key'.")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ImproperlyConfigured(f"BOKVAR_FIELD_KEYS: key '{key_id}' is not base64.") from exc
        if len(raw) != 32:
            raise ImproperlyConfigured(
                f"BOKVAR_FIELD_KEYS: key '{key_id}' must be 32 bytes (AES-256)."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"BOKVAR_FIELD_KEYS: key id '{key_id}' appears twice.")
        keys[key_id] = AESGCM(raw)
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("BOKVAR_FIELD_KEYS holds no key.")
    return Keyring(primary_id=order[0], keys=keys)


@lru_cache(maxsize=4)
def _keyring_for(spec: str) -> Keyring:
    return parse_keys(spec)


def keyring() -> Keyring:
    return _keyring_for(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str) -> str:
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.keys[ring.primary_id].encrypt(nonce, plaintext.encode("utf-8"), None)
    return f"{PREFIX}:{ring.primary_id}:{base64.b64encode(nonce + sealed).decode('ascii')}"


def key_id_of(stored: str) -> str:
    prefix, key_id, _ = _split(stored)
    return key_id


def _split(stored: str) -> tuple[str, str, str]:
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("not an encrypted value")
    return parts[0], parts[1], parts[2]


def decrypt(stored: str) -> str:
    _, key_id, payload = _split(stored)
    key = keyring().keys.get(key_id)
    if key is None:
        raise DecryptionError(f"no configured key with id '{key_id}'")
    try:
        blob = base64.b64decode(payload, validate=True)
        plain = key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], None)
    except (binascii.Error, InvalidTag, ValueError) as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc
    return plain.decode("utf-8")


def needs_rotation(stored: str) -> bool:
    return key_id_of(stored) != keyring().primary_id


def reencrypt(stored: str) -> str:
    return encrypt(decrypt(stored))


# --- Blind index -------------------------------------------------------------------


def normalise_name(value: str) -> str:
    """Case, accents' composition and spacing do not matter for exact name search."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(text.replace("-", " ").split())


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash for exact search; `purpose` keeps indexes of different fields apart."""
    key = settings.BLIND_INDEX_KEY.encode("utf-8")
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
