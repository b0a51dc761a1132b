import base64
import hmac

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bokvar import crypto

NEW_KEY = "k2:" + base64.b64encode(b"n" * 32).decode()
HERE = {"place": "cases.person.notes", "row_key": "a" * 32}


def _seal(text, **where):
    return crypto.encrypt(text, **{**HERE, **where})


@given(st.text())
@hsettings(max_examples=200, deadline=None)
def test_encryption_round_trips_any_text(text):
    stored = _seal(text)
    assert stored.startswith(f"enc2:dev1:{'a' * 32}:")
    opened = crypto.decrypt(stored, place=HERE["place"])
    assert opened == text and opened.row_key == HERE["row_key"]


@given(st.text(min_size=1))
@hsettings(max_examples=50, deadline=None)
def test_ciphertext_never_contains_the_plaintext(text):
    if len(text) >= 4:
        assert text not in _seal(text).split(":", 3)[3]


def test_same_plaintext_encrypts_differently_each_time():
    assert _seal("Anna") != _seal("Anna")


def test_tampered_value_raises():
    stored = _seal("Anna Andersson")
    prefix, key_id, row_key, payload = stored.split(":", 3)
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(
            f"{prefix}:{key_id}:{row_key}:{base64.b64encode(bytes(raw)).decode()}",
            place=HERE["place"],
        )


def test_a_value_read_from_another_place_does_not_authenticate():
    stored = _seal("Skyddad adress 1")
    for place in ("cases.person.address", "cases.historicalperson.notes", "cases.landlord.notes"):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(stored, place=place)


def test_the_row_key_in_the_header_cannot_be_swapped():
    stored = _seal("Anna")
    prefix, key_id, _row_key, payload = stored.split(":", 3)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{prefix}:{key_id}:{'b' * 32}:{payload}", place=HERE["place"])


@pytest.mark.parametrize(
    "value",
    ["Anna Andersson", "enc2:nokey:abc:AAAA", "enc2:dev1:abc:not-base64!", "", "enc1:dev1:AAAA"],
)
def test_plaintext_or_garbage_is_never_passed_through(value):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(value, place=HERE["place"])


def test_unknown_key_raises(settings):
    stored = _seal("Anna")
    settings.FIELD_ENCRYPTION_KEYS = NEW_KEY
    with pytest.raises(crypto.UnknownKeyError):
        crypto.decrypt(stored, place=HERE["place"])


def test_first_key_encrypts_all_decrypt(settings):
    old = _seal("Anna")
    settings.FIELD_ENCRYPTION_KEYS = f"{NEW_KEY},{settings.FIELD_ENCRYPTION_KEYS}"
    assert _seal("Bo").startswith("enc2:k2:")
    assert crypto.decrypt(old, place=HERE["place"]) == "Anna"
    assert crypto.needs_rotation(old)
    again = crypto.reencrypt(old, **HERE)
    assert again.startswith("enc2:k2:") and crypto.decrypt(again, place=HERE["place"]) == "Anna"
    with pytest.raises(crypto.DecryptionError):
        crypto.reencrypt(old, place=HERE["place"], row_key="b" * 32)  # not this row's


def test_an_old_unbound_value_is_bound_on_reencryption():
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = crypto.keyring().keys["dev1"]
    nonce = os.urandom(12)
    legacy = "enc1:dev1:" + base64.b64encode(nonce + key.encrypt(nonce, b"Gamla", None)).decode()
    assert isinstance(key, AESGCM) and crypto.is_unbound(legacy)
    assert crypto.decrypt_unbound(legacy) == "Gamla"
    bound = crypto.reencrypt(legacy, **HERE)
    assert crypto.decrypt(bound, place=HERE["place"]) == "Gamla"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("", "holds no key"),
        ("nokey", "id:base64key"),
        ("a:" + base64.b64encode(b"short").decode(), "32 bytes"),
        ("a:%%%", "not base64"),
        (f"{NEW_KEY},{NEW_KEY}", "appears twice"),
    ],
)
def test_bad_key_configuration_is_named(spec, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_keys(spec)


def test_blind_index_is_keyed_and_purpose_bound(settings):
    settings.BLIND_INDEX_KEYS = "k1:dev-only-blind-index-key"
    a = crypto.blind_index("19800101-2387", purpose="personal_number")
    assert a == crypto.blind_index("19800101-2387", purpose="personal_number")
    assert a.startswith("k1$") and len(a) == len("k1$") + 32
    assert a.split("$")[1] != crypto.blind_index("19800101-2387", purpose="name").split("$")[1]
    settings.BLIND_INDEX_KEYS = "k2:another-key"
    assert a.split("$")[1] != crypto.blind_index("19800101-2387", purpose="personal_number")[3:]


def test_every_configured_key_is_searched_the_first_written(settings):
    settings.BLIND_INDEX_KEYS = "k1:dev-only-blind-index-key"
    old = crypto.blind_index("19800101-2387", purpose="personal_number")
    settings.BLIND_INDEX_KEYS = f"k2:the-new-key,{settings.BLIND_INDEX_KEYS}"
    new = crypto.blind_index("19800101-2387", purpose="personal_number")
    assert new.startswith("k2$") and crypto.index_is_current(new)
    assert not crypto.index_is_current(old)
    forms = crypto.blind_indexes("19800101-2387", purpose="personal_number")
    assert forms[:2] == [new, old]
    # The index before issue 17 (one key for every purpose, no key id) is found too.
    legacy = hmac.new(b"dev-only-blind-index-key", b"personal_number\x0019800101-2387", "sha256")
    assert legacy.hexdigest() in forms


@pytest.mark.parametrize(
    "spec, message",
    [("", "holds no key"), ("nokey", "id:secret"), ("a b:x", "letters"), ("a:x,a:y", "twice")],
)
def test_bad_blind_index_key_configuration_is_named(spec, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.parse_index_keys(spec)


@given(st.text(alphabet=st.characters(categories=["L", "Zs"]), min_size=1))
@hsettings(max_examples=100, deadline=None)
def test_name_normalisation_ignores_case_and_spacing(name):
    assert crypto.normalise_name(name) == crypto.normalise_name("  " + name.casefold() + " ")
    assert crypto.normalise_name("Anna  Lisa") == crypto.normalise_name("ANNA-lisa")
