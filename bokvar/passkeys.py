"""WebAuthn passkeys (issue 21, point 1) with the `fido2` library: registering one for the
signed-in user, and signing in with one, either as the second factor after the password
or without a password (the authenticator then must verify the user: a PIN or biometric
on a device the user holds is two factors by itself).

The browser part is static/bokvar/passkeys.js (no inline script: the CSP forbids it).
The challenge lives in the session between the two requests of each ceremony and is
used once. Every assertion must raise the credential's signature counter (unless the
authenticator keeps none); a repeated or lower counter means a copied key and is
refused and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from fido2.server import Fido2Server
from fido2.utils import websafe_decode
from fido2.webauthn import (
    AttestedCredentialData,
    AuthenticationResponse,
    PublicKeyCredentialRpEntity,
    PublicKeyCredentialUserEntity,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from .conf import setting
from .models import Passkey, User

logger = logging.getLogger(__name__)

REGISTER_STATE = "bokvar_passkey_register"
SIGN_IN_STATE = "bokvar_passkey_sign_in"
# A registered user may keep this many passkeys (a phone, a laptop, a spare key).
MAX_PER_USER = 10


class PasskeyError(Exception):
    """A ceremony that failed; `field` names what was wrong for the 400 answer."""

    def __init__(self, message: str, field: str = "credential"):
        super().__init__(message)
        self.field = field


def _rp_id(request: HttpRequest) -> str:
    """The relying party: WEBAUTHN_RP_ID, else the host the request came to (Django has
    checked it against ALLOWED_HOSTS)."""
    configured: str = setting("WEBAUTHN_RP_ID")
    return configured or request.get_host().rsplit(":", 1)[0]


def _server(request: HttpRequest) -> Fido2Server:
    # The origin must be this site as the browser reached it: scheme and host (with port).
    expected = f"{request.scheme}://{request.get_host()}"
    return Fido2Server(
        PublicKeyCredentialRpEntity(name="Bo Kvar", id=_rp_id(request)),
        attestation=None,
        verify_origin=lambda origin: origin == expected,
    )


def _attested(passkey: Passkey) -> AttestedCredentialData:
    return AttestedCredentialData(bytes(passkey.credential_data))


def passkeys_of(user: User) -> list[Passkey]:
    return list(Passkey.objects.filter(user=user, confirmed=True).order_by("created_at", "id"))


def has_passkey(user: User) -> bool:
    return bool(Passkey.objects.filter(user=user, confirmed=True).exists())


# --- Registration ----------------------------------------------------------------------


def register_begin(request: HttpRequest, user: User) -> dict[str, Any]:
    """The options for navigator.credentials.create(); the state waits in the session.
    The user handle is the account's id as bytes: no name leaves the server."""
    options, state = _server(request).register_begin(
        PublicKeyCredentialUserEntity(
            id=str(user.pk).encode(), name=user.username, display_name=user.username
        ),
        credentials=[_attested(p) for p in passkeys_of(user)],
        resident_key_requirement=ResidentKeyRequirement.PREFERRED,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[REGISTER_STATE] = dict(state)
    return dict(options)


@transaction.atomic
def register_complete(
    request: HttpRequest, user: User, response: Mapping[str, Any], *, name: str = ""
) -> Passkey:
    state = request.session.pop(REGISTER_STATE, None)
    if state is None:
        raise PasskeyError("no registration in progress")
    if Passkey.objects.filter(user=user).count() >= MAX_PER_USER:
        raise PasskeyError("too many passkeys")
    try:
        auth_data = _server(request).register_complete(state, response)
    except (ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(str(exc)) from exc
    credential = auth_data.credential_data
    if credential is None:
        raise PasskeyError("no credential data")
    if Passkey.objects.filter(credential_id=credential.credential_id).exists():
        raise PasskeyError("already registered")
    passkey: Passkey = Passkey.objects.create(
        user=user,
        name=(name or "passkey")[:64],
        confirmed=True,
        credential_id=credential.credential_id,
        credential_data=bytes(credential),
        sign_count=auth_data.counter,
    )
    logger.info("passkey %s registered for user %s", passkey.pk, user.pk)
    return passkey


# --- Signing in ------------------------------------------------------------------------


def sign_in_begin(request: HttpRequest, user: User | None) -> dict[str, Any]:
    """The options for navigator.credentials.get(): after the password, the user's own
    passkeys, any user verification; without a password, any passkey of this site, and
    the authenticator must verify the user."""
    if user is not None:
        options, state = _server(request).authenticate_begin(
            [_attested(p) for p in passkeys_of(user)],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
    else:
        options, state = _server(request).authenticate_begin(
            user_verification=UserVerificationRequirement.REQUIRED
        )
    request.session[SIGN_IN_STATE] = {**dict(state), "user": user.pk if user else None}
    return dict(options)


def _credential_id(response: Mapping[str, Any]) -> bytes:
    raw = response.get("rawId") if isinstance(response, Mapping) else None
    if not isinstance(raw, str):
        raise PasskeyError("rawId missing", field="rawId")
    try:
        return websafe_decode(raw)
    except ValueError as exc:
        raise PasskeyError("rawId is not base64url", field="rawId") from exc


@transaction.atomic
def sign_in_complete(request: HttpRequest, response: Mapping[str, Any]) -> Passkey:
    """Verify an assertion; returns the passkey (its user is who signs in). The state's
    user (after a password) must own the passkey; without one, the passkey names the user."""
    state = request.session.pop(SIGN_IN_STATE, None)
    if state is None:
        raise PasskeyError("no sign-in in progress")
    expected_user = state.pop("user", None)
    credential_id = _credential_id(response)
    passkey: Passkey | None = (
        Passkey.objects.select_for_update()
        .select_related("user")
        .filter(credential_id=credential_id, confirmed=True, user__is_active=True)
        .first()
    )
    if passkey is None or (expected_user is not None and passkey.user_id != expected_user):
        raise PasskeyError("unknown passkey")
    try:
        _server(request).authenticate_complete(state, [_attested(passkey)], response)
        counter = AuthenticationResponse.from_dict(response).response.authenticator_data.counter
    except (ValueError, KeyError, TypeError) as exc:
        raise PasskeyError(str(exc)) from exc
    if (counter or passkey.sign_count) and counter <= passkey.sign_count:
        # A copy of the key answered: refuse, and tell whoever reads the log.
        logger.warning(
            "passkey %s of user %s: signature counter %s not above %s (cloned?)",
            passkey.pk,
            passkey.user_id,
            counter,
            passkey.sign_count,
        )
        raise PasskeyError("signature counter did not increase")
    passkey.sign_count = counter
    passkey.last_used_at = timezone.now()
    passkey.save(update_fields=["sign_count", "last_used_at"])
    return passkey
