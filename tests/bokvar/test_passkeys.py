"""Issue 21, point 1: WebAuthn passkeys, registered and used through the real endpoints
with a software authenticator: an EC P-256 key made here, attestation "none", and
assertions signed with it the way a browser's authenticator signs them."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

from bokvar import second_factor
from bokvar.models import Passkey
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"
RP_ID = "testserver"
FLAGS = AuthenticatorData.FLAG


class SoftwareAuthenticator:
    """One credential, as a platform authenticator keeps it."""

    def __init__(self, *, origin: str = ORIGIN, rp_id: str = RP_ID):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0
        self.origin = origin
        self.rp_hash = hashlib.sha256(rp_id.encode()).digest()

    def create(self, options: dict) -> dict:
        challenge = websafe_decode(options["publicKey"]["challenge"])
        client_data = CollectedClientData.create(
            type="webauthn.create", challenge=challenge, origin=self.origin
        )
        credential = AttestedCredentialData.create(
            b"\0" * 16, self.credential_id, ES256.from_cryptography_key(self.key.public_key())
        )
        auth_data = AuthenticatorData.create(
            self.rp_hash, FLAGS.UP | FLAGS.UV | FLAGS.AT, self.counter, credential
        )
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "attestationObject": websafe_encode(attestation),
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict, *, counter: int | None = None, verified: bool = True) -> dict:
        challenge = websafe_decode(options["publicKey"]["challenge"])
        client_data = CollectedClientData.create(
            type="webauthn.get", challenge=challenge, origin=self.origin
        )
        self.counter = self.counter + 1 if counter is None else counter
        flags = FLAGS.UP | (FLAGS.UV if verified else 0)
        auth_data = AuthenticatorData.create(self.rp_hash, flags, self.counter)
        signature = self.key.sign(bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256()))
        return {
            "id": websafe_encode(self.credential_id),
            "rawId": websafe_encode(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": websafe_encode(client_data),
                "authenticatorData": websafe_encode(auth_data),
                "signature": websafe_encode(signature),
            },
            "clientExtensionResults": {},
        }


def _post(client, name, body=None, query=""):
    return client.post(
        reverse(name) + query, json.dumps(body or {}), content_type="application/json"
    )


def _register(client, authenticator, name="Laptop"):
    options = _post(client, "passkey-register-options").json()
    return _post(client, "passkey-register", {**authenticator.create(options), "name": name})


@pytest.fixture
def registered(login, org):
    """The coordinator has registered a passkey (signed in with a code, as enrolment
    requires); the client is then signed out."""
    client = login(org.users["coordinator"])
    authenticator = SoftwareAuthenticator()
    response = _register(client, authenticator)
    assert response.status_code == 201
    client.post(reverse("logout"))
    return client, authenticator


def test_registration_stores_no_personal_data(registered, org):
    passkey = Passkey.objects.get()
    assert passkey.user == org.users["coordinator"] and passkey.name == "Laptop"
    assert bytes(passkey.credential_id) == registered[1].credential_id
    stored = bytes(passkey.credential_data)
    for text in ("coordinator", "Anette", "Sjöberg"):
        assert text.encode() not in stored


def test_the_passkey_page_lists_and_needs_a_signed_in_user(registered, login, org, client):
    assert client.get(reverse("passkeys")).status_code == 302
    page = login(org.users["coordinator"]).get(reverse("passkeys")).content.decode()
    assert "Laptop" in page and "bokvar/passkeys.js" in page and "<script>" not in page


def test_a_passkey_is_the_second_factor_after_the_password(registered):
    client, authenticator = registered
    client.post(reverse("login"), {"username": "coordinator", "password": DEMO_PASSWORD})
    assert "_auth_user_id" not in client.session
    options = _post(client, "passkey-sign-in-options").json()
    # After the password only the user's own passkeys are offered.
    allowed = [c["id"] for c in options["publicKey"]["allowCredentials"]]
    assert allowed == [websafe_encode(authenticator.credential_id)]
    done = _post(client, "passkey-sign-in", authenticator.get(options), query="?next=/cases/")
    assert done.status_code == 200 and done.json() == {"next": "/cases/"}
    assert client.get(reverse("home")).status_code == 200
    assert client.session["otp_device_id"] == Passkey.objects.get().persistent_id


def test_passwordless_sign_in_needs_user_verification(registered, org):
    client, authenticator = registered
    options = _post(client, "passkey-sign-in-options").json()
    assert options["publicKey"].get("allowCredentials") in (None, [])
    assert options["publicKey"]["userVerification"] == "required"
    unverified = _post(client, "passkey-sign-in", authenticator.get(options, verified=False))
    assert unverified.status_code == 400 and "credential" in unverified.json()["errors"]
    assert "_auth_user_id" not in client.session
    options = _post(client, "passkey-sign-in-options").json()
    done = _post(client, "passkey-sign-in", authenticator.get(options))
    assert done.status_code == 200
    assert int(client.session["_auth_user_id"]) == org.users["coordinator"].pk
    assert client.get(reverse("home")).status_code == 200


def test_a_repeated_or_lower_signature_counter_is_refused(registered):
    client, authenticator = registered
    options = _post(client, "passkey-sign-in-options").json()
    assert (
        _post(client, "passkey-sign-in", authenticator.get(options, counter=5)).status_code == 200
    )
    assert Passkey.objects.get().sign_count == 5
    client.post(reverse("logout"))
    for counter in (5, 3):  # a copy of the key replays or lags behind the counter
        options = _post(client, "passkey-sign-in-options").json()
        refused = _post(client, "passkey-sign-in", authenticator.get(options, counter=counter))
        assert refused.status_code == 400
        assert "_auth_user_id" not in client.session
    assert Passkey.objects.get().sign_count == 5
    options = _post(client, "passkey-sign-in-options").json()
    assert (
        _post(client, "passkey-sign-in", authenticator.get(options, counter=6)).status_code == 200
    )


def test_an_assertion_is_used_once_and_bound_to_its_challenge(registered):
    client, authenticator = registered
    options = _post(client, "passkey-sign-in-options").json()
    assertion = authenticator.get(options)
    assert _post(client, "passkey-sign-in", assertion).status_code == 200
    client.post(reverse("logout"))
    # The same answer again: its challenge was used up.
    assert _post(client, "passkey-sign-in", assertion).status_code == 400
    _post(client, "passkey-sign-in-options")
    assertion["response"]["signature"] = websafe_encode(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    assert _post(client, "passkey-sign-in", assertion).status_code == 400
    assert "_auth_user_id" not in client.session


def test_another_site_or_key_is_refused(registered):
    client, authenticator = registered
    phishing = SoftwareAuthenticator(origin="https://bokvar.example.evil")
    phishing.key, phishing.credential_id = authenticator.key, authenticator.credential_id
    options = _post(client, "passkey-sign-in-options").json()
    assert _post(client, "passkey-sign-in", phishing.get(options)).status_code == 400
    stranger = SoftwareAuthenticator()
    options = _post(client, "passkey-sign-in-options").json()
    refused = _post(client, "passkey-sign-in", stranger.get(options))
    assert refused.status_code == 400 and "_auth_user_id" not in client.session


def test_after_the_password_another_users_passkey_is_refused(registered, login, org):
    client, authenticator = registered
    client.post(reverse("login"), {"username": "guide", "password": DEMO_PASSWORD})
    options = _post(client, "passkey-sign-in-options").json()
    assert options["publicKey"].get("allowCredentials") in (None, [])
    refused = _post(client, "passkey-sign-in", authenticator.get(options))
    assert refused.status_code == 400 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"rawId": 7}', b'{"rawId": "!!"}'])
def test_malformed_answers_are_400_naming_the_field(registered, body):
    client, _authenticator = registered
    _post(client, "passkey-sign-in-options")
    response = client.post(reverse("passkey-sign-in"), body, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"]


def test_a_reset_removes_the_passkeys(registered, org):
    second_factor.reset(
        actor=org.users["admin"], user=org.users["coordinator"], reason="Lost laptop"
    )
    assert not Passkey.objects.exists()
