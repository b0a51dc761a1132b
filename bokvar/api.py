"""Shared API plumbing: error bodies that name the field and never echo personal data. A
service's refusal (Django's ValidationError) answers 400 naming the field, an edit
conflict (optimistic locking) 409, the same way in every endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as ServiceRefusal
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .concurrency import ConflictError
from .models import User


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ConflictError):
        # Someone saved the record first: who and which fields, never values.
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ServiceRefusal):
        exc = serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "invalid", "errors": response.data}
    return response


def signed_in_user(request: Request) -> User:
    """The staff member behind an API request that passed a permission class requiring a
    role: a signed-in `bokvar.User`. Anyone else never gets this far; if they did, they
    are told to sign in rather than served as someone they are not."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated()
    return user
