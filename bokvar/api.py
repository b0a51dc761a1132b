"""Shared API plumbing: error bodies that name the field and never echo personal data. A
service's refusal (Django's ValidationError) answers 400 naming the field, an edit
conflict (optimistic locking) 409, the same way in every endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as ServiceRefusal
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# The access classes live apart: REST_FRAMEWORK's defaults name them, and DRF imports its
# defaults while rest_framework.views itself loads (this module imports that).
from .api_access import (
    ApiClientAuthentication,
    ApiPrincipal,
    ClientRateThrottle,
    ClientScope,
    client_of,
)
from .concurrency import ConflictError
from .models import User

__all__ = [
    "ApiClientAuthentication",
    "ApiPrincipal",
    "ClientRateThrottle",
    "ClientScope",
    "client_of",
    "document_refusals",
    "exception_handler",
    "signed_in_user",
]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ConflictError):
        # Someone saved the record first: who and which fields, never values.
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ServiceRefusal):
        exc = serializers.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A refusal of the whole input, not of one field: the same shape as every other.
        response.data = {"detail": "invalid", "errors": {"non_field_errors": response.data}}
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


class ApiClientScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]  # drf-spectacular's registration hook is untyped
    target_class = "bokvar.api_access.ApiClientAuthentication"
    name = "apiClientToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Token <key>: an API client's token (one kind: landlord, shelter, "
            "meeting_place or steering; each reaches its own endpoints).",
        }


# The refusals every operation may answer, documented by `document_refusals`.
_REFUSALS = {
    "400": "Bad input: the body names each refused field.",
    "401": "No token or session, or an invalid, expired or revoked token.",
    "403": "This token's kind or this user's role does not reach the endpoint.",
    "404": "No such object, or not one this client or user may see.",
    "409": "Someone saved the record first (optimistic locking).",
    "429": "Too many requests from this client in the window; try again later.",
}


def document_refusals(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation documents the refusals it may
    answer, all with the body of `exception_handler` (the "Error" component). 401, 403 and 429 everywhere (every
    endpoint needs a token or session and is throttled); 400 where there is input (a body
    or a query parameter); 404 where a path names an object or a list is paged; 409 where
    a body is written (a correction based on an old version)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "properties": {
                "detail": {"type": "string"},
                "errors": {"description": "The fields that were refused, each with its messages."},
            },
            "required": ["detail"],
        },
    )
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            parameters = operation.get("parameters", [])
            query = any(p.get("in") == "query" for p in parameters)
            codes = ["401", "403", "429"]
            if query or "requestBody" in operation:
                codes.append("400")
            if "{" in path or any(p.get("name") == "page" for p in parameters):
                codes.append("404")
            if "requestBody" in operation and method in ("post", "put", "patch"):
                codes.append("409")
            for code in codes:
                operation["responses"].setdefault(
                    code, {"description": _REFUSALS[code], "content": error}
                )
    return result
