"""Passkey pages and the JSON endpoints static/bokvar/passkeys.js calls (issue 21,
point 1). Thin: parse the JSON, call bokvar.passkeys, answer. A failed ceremony answers
400 naming the field; a sign-in that fails counts like a wrong code."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import passkeys, second_factor
from .permissions import AuthenticatedRequest
from .signin import next_url


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise passkeys.PasskeyError("not JSON") from exc
    if not isinstance(data, dict):
        raise passkeys.PasskeyError("not a JSON object")
    return data


def _refused(error: passkeys.PasskeyError, message: str) -> JsonResponse:
    return JsonResponse({"errors": {error.field: [message]}}, status=400)


@never_cache
@login_required
@require_http_methods(["GET"])
def passkey_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request, "registration/passkeys.html", {"passkeys": passkeys.passkeys_of(request.user)}
    )


@never_cache
@login_required
@require_POST
def register_options(request: AuthenticatedRequest) -> JsonResponse:
    return JsonResponse(passkeys.register_begin(request, request.user))


@never_cache
@login_required
@require_POST
def register(request: AuthenticatedRequest) -> JsonResponse:
    try:
        data = _body(request)
        name = data.pop("name", "")
        passkey = passkeys.register_complete(
            request, request.user, data, name=name if isinstance(name, str) else ""
        )
    except passkeys.PasskeyError as error:
        return _refused(error, _("The passkey could not be registered. Try again."))
    return JsonResponse({"id": passkey.pk}, status=201)


@never_cache
@require_POST
def sign_in_options(request: HttpRequest) -> JsonResponse:
    """After the password: the pending user's passkeys. Without it: any passkey."""
    return JsonResponse(passkeys.sign_in_begin(request, second_factor.pending_user(request)))


@never_cache
@require_POST
def sign_in(request: HttpRequest) -> JsonResponse:
    pending = second_factor.pending_user(request)
    try:
        passkey = passkeys.sign_in_complete(request, _body(request))
    except passkeys.PasskeyError as error:
        if pending is not None:
            second_factor.count_failure(request)
        return _refused(error, _("The passkey was not accepted."))
    user = passkey.user
    user.backend = pending.backend if pending else "django.contrib.auth.backends.ModelBackend"
    second_factor.complete(request, user, passkey)
    return JsonResponse({"next": next_url(request)})
