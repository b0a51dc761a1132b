import base64

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bokvar import crypto

NEW_KEY = "k2:" + base64.b64encode(b"n" * 32).decode()


@given(st.text())
@hsettings(max_examples=200, deadline=None)
def test_encryption_round_trips_any_text(text):
    stored = crypto.encrypt(text)
    assert stored.startswith("enc1:dev1:")
    assert crypto.decrypt(stored) == text


@given(st.text(min_size=1))
@hsettings(max_examples=50, deadline=None)
def test_ciphertext_never_contains_the_plaintext(text):
    if len(text) >= 4:
        assert text not in crypto.encrypt(text).split(":", 2)[2]


def test_same_plaintext_encrypts_differently_each_time():
    assert crypto.encrypt("Anna") != crypto.encrypt("Anna")


def test_tampered_value_raises():
    stored = crypto.encrypt("Anna Andersson")
    prefix, key_id, payload = stored.split(":", 2)
    raw = bytearray(base64.b64decode(payload))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{prefix}:{key_id}:{base64.b64encode(bytes(raw)).decode()}")


@pytest.mark.parametrize(
    "value", ["Anna Andersson", "enc1:nokey:AAAA", "enc1:dev1:not-base64!", ""]
)
def test_plaintext_or_garbage_is_never_passed_through(value):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(value)


def test_unknown_key_raises(settings):
    stored = crypto.encrypt("Anna")
    settings.FIELD_ENCRYPTION_KEYS = NEW_KEY
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored)


def test_first_key_encrypts_all_decrypt(settings):
    old = crypto.encrypt("Anna")
    settings.FIELD_ENCRYPTION_KEYS = f"{NEW_KEY},{settings.FIELD_ENCRYPTION_KEYS}"
    assert crypto.encrypt("Bo").startswith("enc1:k2:")
    assert crypto.decrypt(old) == "Anna"
    assert crypto.needs_rotation(old)


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
    a = crypto.blind_index("19800101-2387", purpose="personal_number")
    assert a == crypto.blind_index("19800101-2387", purpose="personal_number")
    assert a != crypto.blind_index("19800101-2387", purpose="name")
    settings.BLIND_INDEX_KEY = "another-key"
    assert a != crypto.blind_index("19800101-2387", purpose="personal_number")


@given(st.text(alphabet=st.characters(categories=["L", "Zs"]), min_size=1))
@hsettings(max_examples=100, deadline=None)
def test_name_normalisation_ignores_case_and_spacing(name):
    assert crypto.normalise_name(name) == crypto.normalise_name("  " + name.casefold() + " ")
    assert crypto.normalise_name("Anna  Lisa") == crypto.normalise_name("ANNA-lisa")
