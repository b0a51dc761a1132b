"""Kernel middleware."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.apps import apps
from django.contrib.auth import logout
from django.db import router
from django.http import HttpRequest, HttpResponse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from .compiled import KeptIdRows
from .models import User
from .selectors import MEMBERSHIP_COLUMNS, keep_roles

GetResponse = Callable[[HttpRequest], HttpResponse]


# The device that verified a session, read on every signed-in request: by a statement
# compiled once per kind of device (issue 22), of every column, as the ORM reads it,
# and with it the memberships of the device's user (left-joined: a device whose user
# holds no role is still read), so that the page's first `roles_of` needs no round trip
# of its own (0.15-0.18 ms on every page at national scale).
_MEMBERSHIP = tuple(f"user__memberships__{column}" for column in MEMBERSHIP_COLUMNS)
_ACTIVE = "user__memberships__unit__is_active"
_DEVICES: dict[type[Device], tuple[KeptIdRows, list[str]]] = {}


def _device_and_memberships(
    model: type[Device], pk: int
) -> tuple[Device | None, list[tuple[Any, ...]]]:
    """The device, as the ORM reads it, and its user's memberships in active units
    (rows as `bokvar.selectors.keep_roles` takes them); (None, []) for no device."""
    kept = _DEVICES.get(model)
    if kept is None:
        columns = [f.attname for f in model._meta.concrete_fields]
        kept = _DEVICES[model] = (
            KeptIdRows(
                model,
                lambda ids: model.objects.filter(id__any=ids).values_list(
                    *columns, *_MEMBERSHIP, _ACTIVE
                ),
            ),
            columns,
        )
    statement, columns = kept
    rows = statement.rows([pk])
    if not rows:
        return None, []
    width = len(columns)
    device = model.from_db(router.db_for_read(model), columns, list(rows[0][:width]))
    # A user without memberships gives one row of NULLs; a unit made inactive counts no
    # role, as in `roles_of`.
    memberships = [row[width:-1] for row in rows if row[width] is not None and row[-1]]
    return device, memberships


class VerifiedDevice(OTPMiddleware):  # type: ignore[misc]  # django-otp ships no types
    """django-otp's OTPMiddleware (which device verified the session), with the device
    read by a kept statement instead of a queryset built on every request. The same
    device, the same checks (`_finalize_device`: the user's own, confirmed), the same
    answer to a malformed or unknown id in the session (no device). The statement reads
    the user's memberships too: once the device is found to be the user's own, they are
    the request's roles (`keep_roles`)."""

    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        self._init_user_fields(user)
        if user.is_authenticated:
            persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
            device, memberships = (
                self._device_and_memberships(persistent_id) if persistent_id else (None, [])
            )
            user.otp_device = self._finalize_device(request, user, device)
            if user.otp_device is not None and isinstance(user, User):
                keep_roles(user, memberships)
        return user

    def _device_and_memberships(
        self, persistent_id: str
    ) -> tuple[Device | None, list[tuple[Any, ...]]]:
        persistent_id = self._normalize_persistent_id(persistent_id)
        # As `Device.from_persistent_id`: "app_label.model_name/id".
        with suppress(ValueError, LookupError):
            model_label, device_id = persistent_id.rsplit("/", 1)
            app_label, model_name = model_label.split(".")
            model = apps.get_model(app_label, model_name)
            if issubclass(model, Device):
                return _device_and_memberships(model, int(device_id))
        return None, []


class RequireSecondFactor:
    """No session counts as signed in unless a second factor verified it (issue 21).

    The sign-in views always verify one (`bokvar.second_factor.complete`); this catches
    any other path to `django.contrib.auth.login` (the admin's own login form, a future
    view): such a session is ended and the request goes on as anonymous, so every view's
    own sign-in rule answers it.
    """

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # is_verified is set on the user by django-otp's OTPMiddleware, which runs first.
        if user.is_authenticated and not user.is_verified():  # type: ignore[attr-defined]
            logout(request)
        return self.get_response(request)


class PrivateResponses:
    """Headers for every response the application makes (issue 21, point 7).

    `Cache-Control: no-store`: pages and API answers carry personal data, and no browser
    cache, proxy or back button may keep a copy. Static files are served before this
    (WhiteNoise) and stay cacheable. `Permissions-Policy` turns off the browser features
    Bo Kvar never uses. The Content-Security-Policy is django-csp's (settings.CONTENT_
    SECURITY_POLICY).
    """

    PERMISSIONS_POLICY = ", ".join(
        f"{feature}=()"
        for feature in (
            "accelerometer",
            "autoplay",
            "camera",
            "display-capture",
            "geolocation",
            "gyroscope",
            "magnetometer",
            "microphone",
            "payment",
            "usb",
            "interest-cohort",
        )
    )

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        response.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        return response
