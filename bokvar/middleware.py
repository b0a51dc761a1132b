"""Kernel middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

GetResponse = Callable[[HttpRequest], HttpResponse]


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
