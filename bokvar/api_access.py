"""Who calls the API and how often: API clients' tokens (bokvar.models.ApiClient), the
scope of each kind, and the throttle per client. Named by REST_FRAMEWORK's defaults, so
this module must not import rest_framework.views (DRF loads these while loading it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.cache import caches
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request

from .api_clients import client_for_key
from .models import ApiClient

if TYPE_CHECKING:
    from rest_framework.views import APIView


class ApiPrincipal:
    """The authenticated principal of an API client's token: not a user, holds no role."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.kind = client.kind

    def __str__(self) -> str:
        return f"API client {self.client.prefix}"


class ApiClientAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` of a live (unexpired, unrevoked) API client."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[ApiPrincipal, ApiClient] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        client = client_for_key(header[1].decode("latin-1"))
        if client is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return ApiPrincipal(client), client

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def client_of(request: Request) -> ApiClient | None:
    """The API client behind `request`, or None for a signed-in user or anonymous."""
    user = request.user
    return user.client if isinstance(user, ApiPrincipal) else None


class ClientScope(permissions.BasePermission):
    """An API client reaches only the views that name its kind in `client_kinds`; a
    signed-in user passes to the view's other permissions. In every API view's
    permission_classes and the default (tests/test_api_clients.py walks every endpoint)."""

    message = "This token's kind does not reach this endpoint."

    def has_permission(self, request: Request, view: APIView) -> bool:
        client = client_of(request)
        return client is None or client.kind in getattr(view, "client_kinds", ())


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Requests per client and window, the rate by the client's kind
    (REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]); counted in the "throttle" cache (Redis in
    production, shared by every worker). Staff sessions are not throttled here."""

    def __init__(self) -> None:
        # The rate depends on the client: chosen in allow_request, not at construction.
        self.cache = caches["throttle"]

    def allow_request(self, request: Request, view: APIView) -> bool:
        client = client_of(request)
        if client is None:
            return True
        self.scope = client.kind
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        client = client_of(request)
        if client is None:
            return None
        # The hash's head, not the row id: unique across databases sharing one cache.
        return self.cache_format % {"scope": client.kind, "ident": client.key_hash[:24]}
