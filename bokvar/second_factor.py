"""The second factor: TOTP devices, recovery codes, remembered browsers and resets.

A password alone never signs anyone in (issue 21, point 1). The password step only
records who is signing in (`PENDING_KEY` in the session); the code step, or enrolment
for an account without an authenticator, calls `django.contrib.auth.login` together with
django-otp's `login`, so every signed-in session is verified by a device.
`bokvar.middleware.RequireSecondFactor` signs out any session that is not.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conf import setting
from .models import Passkey, Role, SecondFactorReset, User

if TYPE_CHECKING:
    # django-otp ships no types: a device is Any to mypy, named here for the reader.
    from django_otp.models import Device

logger = logging.getLogger(__name__)

PENDING_KEY = "bokvar_signin_pending"
REMEMBER_COOKIE = "bokvar_remembered"
_REMEMBER_SALT = "bokvar.second_factor.remembered"
RECOVERY_DEVICE_NAME = "recovery codes"
# The session's record of how its user signed in (bokvar.sso writes what a provider said).
ASSURANCE_KEY = "bokvar_assurance"
# The device that stands for an identity provider's second factor (bokvar.sso): it
# holds no codes, so it verifies none.
IDENTITY_PROVIDER_DEVICE = "identity provider"
RECOVERY_CODE_COUNT = 10
# How long the password step is good for before the code must have been given.
PENDING_SECONDS = 5 * 60
# Wrong codes in one pending sign-in before the password must be given again.
PENDING_ATTEMPTS = 5


class SecondFactorError(Exception):
    pass


# --- Demo accounts ---------------------------------------------------------------------


def demo_key(username: str) -> str:
    """A known TOTP key (hex) for a demo account, so `make run` can be signed into;
    `manage.py demo_code <user>` prints its current code. README lists them in base32."""
    return hashlib.sha256(f"bokvar-demo-totp:{username}".encode()).hexdigest()[:40]


def ensure_demo_device(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, name="demo").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="demo", key=demo_key(user.username), confirmed=True
        )
    return device


def current_code(device: TOTPDevice, *, at: float | None = None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at
    return f"{totp.token():0{device.digits}d}"


# --- Devices ---------------------------------------------------------------------------


def has_authenticator(user: User) -> bool:
    """An authenticator app or a passkey: either is the second factor."""
    return bool(
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or Passkey.objects.filter(user=user, confirmed=True).exists()
    )


def start_enrolment(*, user: User) -> TOTPDevice:
    """The unconfirmed authenticator shown at first sign-in (one per user, reused)."""
    if has_authenticator(user):
        raise SecondFactorError("already enrolled")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    # Only the old codes: the user's other static device stands for an identity
    # provider's second factor (bokvar.sso) and holds no codes.
    StaticDevice.objects.filter(user=user, name=RECOVERY_DEVICE_NAME).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def confirm_enrolment(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending authenticator with a code from it; returns the device and the
    new recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or has_authenticator(user):
        raise SecondFactorError("no enrolment in progress")
    if not device.verify_token(_clean(code)):
        raise SecondFactorError("wrong code")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device, _new_recovery_codes(user)


def _clean(code: str) -> str:
    return "".join((code or "").split())[:32]


def verify(*, user: User, code: str) -> Device | None:
    """The user's device that accepts `code` (an authenticator code or an unused recovery
    code, which is used up), or None. django-otp throttles each device after failures."""
    code = _clean(code)
    if not code:
        return None
    devices = [
        *TOTPDevice.objects.filter(user=user, confirmed=True),
        *StaticDevice.objects.filter(user=user, confirmed=True),
    ]
    for device in devices:
        with transaction.atomic():
            locked = type(device).objects.select_for_update().get(pk=device.pk)
            if locked.verify_is_allowed()[0] and locked.verify_token(code):
                return locked
    return None


@transaction.atomic
def reset(*, actor: User, user: User, reason: str) -> SecondFactorReset:
    """Remove a user's authenticators and recovery codes; they enrol again at their next
    sign-in. Only another administrator may do it, never for their own account, so a
    single administrator cannot take over an account's second factor."""
    if actor.pk == user.pk:
        raise SecondFactorError("own account")
    if not actor.memberships.filter(role=Role.ADMINISTRATOR).exists():
        raise SecondFactorError("not an administrator")
    reason = (reason or "").strip()
    if not reason:
        raise SecondFactorError("reason required")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    Passkey.objects.filter(user=user).delete()
    event = SecondFactorReset.objects.create(actor=actor, user=user, reason=reason[:200])
    # Ids only: the log carries no names.
    logger.warning("second factor reset: user %s by administrator %s", user.pk, actor.pk)
    return event


# --- The pending sign-in (between the password and the code) ---------------------------


def start_pending(
    request: HttpRequest, user: User, *, assurance: dict[str, Any] | None = None
) -> None:
    """`assurance`: what an identity provider said about the first factor (bokvar.sso),
    kept until the sign-in completes."""
    # A new session key: whatever an attacker planted before the password is worthless.
    request.session.cycle_key()
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
        "attempts": 0,
        "assurance": assurance,
    }


def pending_user(request: HttpRequest) -> User | None:
    data = request.session.get(PENDING_KEY)
    if not data or int(time.time()) - data.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=data["user"], is_active=True).first()
    if user is not None:
        user.backend = data["backend"]
    return user


def count_failure(request: HttpRequest) -> bool:
    """Count a wrong code; False once the pending sign-in is used up."""
    data = request.session.get(PENDING_KEY) or {}
    data["attempts"] = data.get("attempts", 0) + 1
    if data["attempts"] >= PENDING_ATTEMPTS:
        request.session.pop(PENDING_KEY, None)
        return False
    request.session[PENDING_KEY] = data
    return True


def complete(
    request: HttpRequest, user: User, device: Device, *, assurance: dict[str, Any] | None = None
) -> None:
    """Sign the user in, verified by `device`. The session records how (ASSURANCE_KEY):
    the identity provider's word for an SSO sign-in (bokvar.sso), else the password."""
    from django.contrib.auth import login
    from django_otp import login as otp_login

    pending = request.session.pop(PENDING_KEY, None) or {}
    record = assurance or pending.get("assurance") or {"method": "password"}
    if device.name != IDENTITY_PROVIDER_DEVICE:
        record = {**record, "second_factor": True, "local": True}
    login(request, user, backend=user.backend)
    otp_login(request, device)
    request.session[ASSURANCE_KEY] = record


# --- Remembered browsers ---------------------------------------------------------------


def remember_days() -> int:
    return int(setting("REMEMBER_DEVICE_DAYS"))


def remember(response: HttpResponse, user: User, device: Device) -> None:
    """Let this browser skip the code for REMEMBER_DEVICE_DAYS (0: never). The signed
    cookie names the device: resetting the second factor deletes it, which ends it."""
    days = remember_days()
    if days <= 0:
        return
    value = signing.dumps(
        {"user": user.pk, "device": device.persistent_id, "since": timezone.now().isoformat()},
        salt=_REMEMBER_SALT,
    )
    response.set_cookie(
        f"{REMEMBER_COOKIE}_{user.pk}",
        value,
        max_age=days * 24 * 3600,
        httponly=True,
        secure=not settings.DEBUG,
        samesite="Lax",
    )


def remembered_device(request: HttpRequest, user: User) -> Device | None:
    """The device this browser was remembered with, if still valid for this user."""
    days = remember_days()
    raw = request.COOKIES.get(f"{REMEMBER_COOKIE}_{user.pk}")
    if days <= 0 or not raw:
        return None
    try:
        data = signing.loads(raw, salt=_REMEMBER_SALT, max_age=days * 24 * 3600)
    except signing.BadSignature:
        return None
    if data.get("user") != user.pk:
        return None
    from django_otp.models import Device

    device = Device.from_persistent_id(data.get("device", ""))
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device
