"""Field encryption (AES-256-GCM) and blind indexes. The only module that knows keys.

A stored value looks like ``enc2:<key id>:<row key>:<base64(nonce || ciphertext+tag)>``.
The key id says which key decrypts it, so keys can rotate: the first configured key
encrypts, every configured key decrypts. A value that cannot be decrypted raises
:class:`DecryptionError`; nothing is ever passed through as if it were plaintext.

Every value is bound to its place (issue 17, point 3): the associated data that GCM
authenticates names the model and column (the *place*) and the row's stable random row
key. A value copied by someone with database access into another column or table no
longer authenticates; one copied into another row of the same column still
authenticates, but names a row key that is not its row's, which the field layer checks
(:mod:`bokvar.fields`). History rows copy their row's key and name the original place,
so they decrypt like the row they record.

``enc1:<key id>:<payload>`` is the format before places were bound: only the data
migration and ``rotate_keys`` read it (:func:`decrypt_unbound`), to re-seal it.
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
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "enc2"
UNBOUND_PREFIX = "enc1"
NONCE_BYTES = 12
AAD_VERSION = "bokvar-aad-1"


class DecryptionError(Exception):
    """A stored value could not be decrypted (unknown key, tampering, not ciphertext)."""


class UnknownKeyError(DecryptionError):
    """The value names a key id that is not configured: a configuration error (a key
    removed too early), reported loudly rather than as tampering."""


class Opened(str):
    """A decrypted value, with the row key its ciphertext was bound to (checked against
    the row it was read from by :mod:`bokvar.fields`)."""

    row_key: str
    stored: str

    def __new__(cls, text: str, row_key: str = "", stored: str = "") -> Opened:
        obj = super().__new__(cls, text)
        obj.row_key = row_key
        obj.stored = stored
        return obj

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        # Copied or pickled (a cache, deepcopy): plain text, the check is done.
        return (str, (str(self),))


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


def _aad(place: str, row_key: str) -> bytes:
    return f"{AAD_VERSION}|{place}|{row_key}".encode()


def _check_row_key(row_key: str) -> str:
    row_key = str(row_key)
    if not row_key or ":" in row_key:
        raise ValueError("a row key is a non-empty string without ':'")
    return row_key


def encrypt(plaintext: str, *, place: str, row_key: str) -> str:
    """Seal `plaintext` for one place (``app.model.column``) of one row (its row key)."""
    row_key = _check_row_key(row_key)
    ring = keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = ring.keys[ring.primary_id].encrypt(
        nonce, plaintext.encode("utf-8"), _aad(place, row_key)
    )
    payload = base64.b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{ring.primary_id}:{row_key}:{payload}"


def key_id_of(stored: str) -> str:
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] not in (PREFIX, UNBOUND_PREFIX):
        raise DecryptionError("not an encrypted value")
    return parts[1]


def is_unbound(stored: str) -> bool:
    """An ``enc1`` value from before places were bound (to be re-sealed)."""
    return stored.startswith(f"{UNBOUND_PREFIX}:")


def _key(key_id: str) -> AESGCM:
    key = keyring().keys.get(key_id)
    if key is None:
        raise UnknownKeyError(f"no configured key with id '{key_id}'")
    return key


def _open(key: AESGCM, payload: str, aad: bytes | None) -> str:
    try:
        blob = base64.b64decode(payload, validate=True)
        plain = key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        return plain.decode("utf-8")
    except (binascii.Error, InvalidTag, ValueError) as exc:
        raise DecryptionError("ciphertext does not authenticate") from exc


def decrypt(stored: str, *, place: str) -> Opened:
    """Decrypt a value read from `place`. Raises :class:`DecryptionError` if it was
    sealed for another place (moved, or altered); the caller compares the returned
    ``row_key`` with the row's own."""
    parts = stored.split(":", 3)
    if len(parts) != 4 or parts[0] != PREFIX:
        raise DecryptionError("not a bound encrypted value")
    _, key_id, row_key, payload = parts
    key = _key(key_id)
    return Opened(_open(key, payload, _aad(place, row_key)), row_key, stored)


def decrypt_unbound(stored: str) -> str:
    """Decrypt an old ``enc1`` value (no associated data). Only for re-sealing."""
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != UNBOUND_PREFIX:
        raise DecryptionError("not an unbound encrypted value")
    return _open(_key(parts[1]), parts[2], None)


def needs_rotation(stored: str) -> bool:
    return is_unbound(stored) or key_id_of(stored) != keyring().primary_id


def reencrypt(stored: str, *, place: str, row_key: str) -> str:
    """Re-seal a value of `place` in the row with `row_key` under the primary key: an old
    unbound value is bound on the way. A value bound elsewhere raises DecryptionError."""
    if is_unbound(stored):
        return encrypt(decrypt_unbound(stored), place=place, row_key=row_key)
    opened = decrypt(stored, place=place)
    if opened.row_key != _check_row_key(row_key):
        raise DecryptionError("value belongs to another row")
    return encrypt(str(opened), place=place, row_key=row_key)


# --- Blind index -------------------------------------------------------------------


def normalise_name(value: str) -> str:
    """Case, accents' composition and spacing do not matter for exact name search."""
    text = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(text.replace("-", " ").split())


# Letters no Unicode decomposition reduces to a base letter, folded by hand.
_FOLD = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
_APOSTROPHES = "'’ʼ`´"  # noqa: RUF001  # the apostrophes written in names


def name_tokens(value: str) -> list[str]:
    """The words of a name, for search by part of a name (issue 19, point 8).

    Case and diacritics do not matter: "Bergström", "BERGSTRÖM" and "Bergstrom" are one
    token, as are "Müller" and "Muller", "José" and "Jose". Search finds a person whatever
    the keyboard or the document the name was copied from; two names that differ only in
    a diacritic (Öberg, Oberg) both come up, and the reader tells them apart on the list,
    which shows only what they may see. Hyphens, spaces and other punctuation split
    ("Anna-Karin" is "anna" and "karin"); apostrophes join ("O'Brien" is "obrien").
    Each token once, in order."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_FOLD)
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    return list(dict.fromkeys(words))


@dataclass(frozen=True)
class IndexKeyring:
    """Blind-index root keys: the first writes, all are searched (issue 17, point 4)."""

    primary_id: str
    secrets: dict[str, bytes]  # in configured order


INDEX_SEPARATOR = "$"
INDEX_HEX = 32  # 128 bits of the HMAC: ample for exact search and uniqueness


def parse_index_keys(spec: str) -> IndexKeyring:
    secrets: dict[str, bytes] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        key_id, sep, secret = item.partition(":")
        if not sep or not key_id or not secret:
            raise ImproperlyConfigured("BOKVAR_BLIND_INDEX_KEYS: each key must be 'id:secret'.")
        if not key_id.replace("_", "").replace("-", "").isalnum() or len(key_id) > 20:
            raise ImproperlyConfigured(
                f"BOKVAR_BLIND_INDEX_KEYS: key id '{key_id}' must be letters, digits, '-' or"
                " '_', at most 20."
            )
        if key_id in secrets:
            raise ImproperlyConfigured(f"BOKVAR_BLIND_INDEX_KEYS: key id '{key_id}' appears twice.")
        secrets[key_id] = secret.encode("utf-8")
    if not secrets:
        raise ImproperlyConfigured("BOKVAR_BLIND_INDEX_KEYS holds no key.")
    return IndexKeyring(primary_id=next(iter(secrets)), secrets=secrets)


@lru_cache(maxsize=4)
def _index_keyring_for(spec: str) -> IndexKeyring:
    return parse_index_keys(spec)


def index_keyring() -> IndexKeyring:
    return _index_keyring_for(settings.BLIND_INDEX_KEYS)


@lru_cache(maxsize=256)
def _purpose_key(secret: bytes, purpose: str) -> bytes:
    """One key per purpose, derived from the root key (as CipherSweet does): indexes of
    different purposes cannot be joined or compared, and a purpose can be as narrow as
    a column or a kind of token (``name:family-token``)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"bokvar-blind-index-v2", info=purpose.encode()
    ).derive(secret)


def _index_with(key_id: str, secret: bytes, value: str, purpose: str) -> str:
    digest = hmac.new(_purpose_key(secret, purpose), value.encode("utf-8"), hashlib.sha256)
    return f"{key_id}{INDEX_SEPARATOR}{digest.hexdigest()[:INDEX_HEX]}"


def _legacy_index(secret: bytes, value: str, purpose: str) -> str:
    # Before issue 17: one HMAC key for every purpose, no key id. Searched until the
    # rebuild has replaced every such value.
    return hmac.new(secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def blind_index(value: str, *, purpose: str) -> str:
    """The keyed hash to store for exact search: ``<key id>$<hex>``, with the first key."""
    ring = index_keyring()
    return _index_with(ring.primary_id, ring.secrets[ring.primary_id], value, purpose)


def blind_indexes(value: str, *, purpose: str) -> list[str]:
    """Every form `value` may be stored under while keys rotate, the current one first:
    search and uniqueness checks look for all of them."""
    ring = index_keyring()
    found = [_index_with(kid, secret, value, purpose) for kid, secret in ring.secrets.items()]
    return found + [_legacy_index(secret, value, purpose) for secret in ring.secrets.values()]


def index_is_current(stored: str) -> bool:
    return stored.startswith(f"{index_keyring().primary_id}{INDEX_SEPARATOR}")
