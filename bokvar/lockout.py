"""The sign-in lock-out (issue 21, point 6), on django-axes.

Failures are counted two ways, each against its own limit within the cool-off time:
per account, from every address (`AXES_FAILURE_LIMIT`: guessing one password from many
machines), and per address, over every account (`AXES_IP_FAILURE_LIMIT`: spraying one
password over many accounts). The address is `bokvar.net.client_ip` (trusted proxies
only), so a client cannot pick it and the proxy's own address is never counted.

Anyone can lock an account by failing its password; so that no one can lock a colleague
out, a locked account (from an address that is not locked) still signs in by giving
its password and a second-factor code together (`bokvar.signin.locked_sign_in`).
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def _failures(**filters: Any) -> int:
    total = AccessAttempt.objects.filter(**filters).aggregate(n=Sum("failures_since_start"))["n"]
    return int(total or 0)


def _since(request: HttpRequest) -> dict[str, Any]:
    if settings.AXES_COOLOFF_TIME is None:
        return {}
    return {"attempt_time__gte": get_cool_off_threshold(request)}


def account_locked(request: HttpRequest, username: str | None) -> bool:
    if not username:
        return False
    return _failures(username=username, **_since(request)) >= settings.AXES_FAILURE_LIMIT


def address_locked(request: HttpRequest) -> bool:
    ip = getattr(request, "axes_ip_address", None)
    if not ip:
        return False
    return _failures(ip_address=ip, **_since(request)) >= settings.AXES_IP_FAILURE_LIMIT


class LockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # django-axes ships no types
    """Axes' database handler with one limit per account and another per address."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # Axes locks when this reaches AXES_FAILURE_LIMIT; report that once either count
        # has reached its own limit, else the account's count (below its limit).
        username = get_client_username(request, credentials)
        if account_locked(request, username) or address_locked(request):
            return settings.AXES_FAILURE_LIMIT
        if not username:
            return 0
        return _failures(username=username, **_since(request))
