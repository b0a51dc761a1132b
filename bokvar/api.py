"""Shared API plumbing: error bodies that name the field and never echo personal data, and
an edit conflict (optimistic locking) answered as 409 the same way everywhere."""

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .concurrency import ConflictError


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        # Someone saved the record first: who and which fields, never values.
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "invalid", "errors": response.data}
    return response
