"""Shared API plumbing: error bodies that name the field and never echo personal data. A
service's refusal (Django's ValidationError) answers 400 naming the field, an edit
conflict (optimistic locking) 409, the same way in every endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as ServiceRefusal
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .concurrency import ConflictError


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
