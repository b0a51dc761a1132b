"""Local passwords: change your own, reset a forgotten one by e-mail (issue 21, point 2).

Django's own views, with Bo Kvar's templates. They exist only while local passwords are
on (`LOCAL_PASSWORDS`; with single sign-on alone they answer 404). A reset never signs
anyone in: the new password is followed by the second factor as at every sign-in.

Reset requests are throttled in Django's cache (per process with the local-memory
default, shared when CACHES points at Redis): per address, then 429; per e-mail address,
silently (the page looks the same, so it tells no one which addresses have accounts).
The mail names no client, only the link (templates/registration/password_reset_email.txt).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from .conf import setting
from .net import client_ip

WINDOW_SECONDS = 3600
RESETS_PER_ADDRESS = 5
RESETS_PER_EMAIL = 3


class LocalPasswordsOnly:
    """404 while local passwords are switched off."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not setting("LOCAL_PASSWORDS"):
            raise Http404
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # a mixin before a view
        return response


def _count(key: str, limit: int) -> bool:
    """Count one more request under `key`; False once over `limit` in the window."""
    if cache.add(key, 1, WINDOW_SECONDS):
        return True
    try:
        count = cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, WINDOW_SECONDS)
        return True
    return int(count) <= limit


class ThrottledResetForm(PasswordResetForm):
    """Sends nothing for an e-mail address asked for too often."""

    request: HttpRequest | None = None

    def send_mail(self, *args: Any, **kwargs: Any) -> None:
        email = self.cleaned_data.get("email", "").lower()
        digest = hashlib.sha256(email.encode()).hexdigest()[:32]
        if _count(f"password-reset:email:{digest}", RESETS_PER_EMAIL):
            super().send_mail(*args, **kwargs)


class PasswordChangeView(LocalPasswordsOnly, auth_views.PasswordChangeView):
    template_name = "registration/password_form.html"
    success_url = reverse_lazy("password-change-done")
    extra_context = {"title": _("Change password")}


class PasswordChangeDoneView(LocalPasswordsOnly, auth_views.PasswordChangeDoneView):
    template_name = "registration/password_message.html"
    extra_context = {
        "title": _("Password changed"),
        "message": _("Your password has been changed."),
    }


class PasswordResetView(LocalPasswordsOnly, auth_views.PasswordResetView):
    template_name = "registration/password_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    form_class = ThrottledResetForm
    success_url = reverse_lazy("password-reset-done")
    extra_context = {
        "title": _("Forgotten password"),
        "intro": _(
            "Give the e-mail address of your account and we send you a link to choose a new password."
        ),
        "submit": _("Send the link"),
    }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _count(f"password-reset:address:{client_ip(request)}", RESETS_PER_ADDRESS):
            return render(
                request,
                "registration/password_message.html",
                {
                    "title": _("Too many requests"),
                    "message": _(
                        "Too many password resets from this address. Try again in an hour."
                    ),
                },
                status=429,
            )
        return super().post(request, *args, **kwargs)


class PasswordResetDoneView(LocalPasswordsOnly, auth_views.PasswordResetDoneView):
    template_name = "registration/password_message.html"
    extra_context = {
        "title": _("Check your e-mail"),
        "message": _(
            "If the address belongs to an account with a password, a link to choose a new "
            "one is on its way. The link works once."
        ),
    }


class PasswordResetConfirmView(LocalPasswordsOnly, auth_views.PasswordResetConfirmView):
    template_name = "registration/password_form.html"
    success_url = reverse_lazy("password-reset-complete")
    extra_context = {"title": _("Choose a new password")}


class PasswordResetCompleteView(LocalPasswordsOnly, auth_views.PasswordResetCompleteView):
    template_name = "registration/password_message.html"
    extra_context = {
        "title": _("Password changed"),
        "message": _("Your new password is set. Sign in with it and your second factor."),
        "sign_in": True,
    }
