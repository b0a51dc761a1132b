"""Shared API plumbing: error bodies that name the field and never echo personal data."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "invalid", "errors": response.data}
    return response
