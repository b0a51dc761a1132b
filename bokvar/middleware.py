"""Kernel middleware."""

from __future__ import annotations

from django.contrib.auth import logout


class RequireSecondFactor:
    """No session counts as signed in unless a second factor verified it (issue 21).

    The sign-in views always verify one (`bokvar.second_factor.complete`); this catches
    any other path to `django.contrib.auth.login` (the admin's own login form, a future
    view): such a session is ended and the request goes on as anonymous, so every view's
    own sign-in rule answers it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            logout(request)
        return self.get_response(request)
