"""Kernel middleware."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from django.apps import apps
from django.contrib.auth import logout
from django.db import router
from django.http import HttpRequest, HttpResponse
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from .compiled import KeptIdRows

GetResponse = Callable[[HttpRequest], HttpResponse]


# The device that verified a session, read on every signed-in request: by a statement
# compiled once per kind of device (issue 22), of every column, as the ORM reads it.
_DEVICES: dict[type[Device], tuple[KeptIdRows, list[str]]] = {}


def _device(model: type[Device], pk: int) -> Device | None:
    kept = _DEVICES.get(model)
    if kept is None:
        columns = [f.attname for f in model._meta.concrete_fields]
        kept = _DEVICES[model] = (
            KeptIdRows(model, lambda ids: model.objects.filter(id__any=ids).values_list(*columns)),
            columns,
        )
    statement, columns = kept
    rows = statement.rows([pk])
    if not rows:
        return None
    return model.from_db(router.db_for_read(model), columns, list(rows[0]))


class VerifiedDevice(OTPMiddleware):  # type: ignore[misc]  # django-otp ships no types
    """django-otp's OTPMiddleware (which device verified the session), with the device
    read by a kept statement instead of a queryset built on every request. The same
    device, the same checks (`_finalize_device`: the user's own, confirmed), the same
    answer to a malformed or unknown id in the session (no device)."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        persistent_id = self._normalize_persistent_id(persistent_id)
        # As `Device.from_persistent_id`: "app_label.model_name/id".
        with suppress(ValueError, LookupError):
            model_label, device_id = persistent_id.rsplit("/", 1)
            app_label, model_name = model_label.split(".")
            model = apps.get_model(app_label, model_name)
            if issubclass(model, Device):
                return _device(model, int(device_id))
        return None


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
