"""Whether the real services tests need are here. With BOKVAR_REQUIRE_SERVICES=1 (CI)
a missing service fails the test; elsewhere it is skipped with the reason."""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest


def required(flag: str) -> bool:
    return os.environ.get(flag, "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason: str, flag: str = "BOKVAR_REQUIRE_SERVICES") -> None:
    if required(flag):
        pytest.fail(f"{reason} ({flag}=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def redis_url_or_skip() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        unavailable("REDIS_URL is not set: no real Redis broker to test against")
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 2):
            pass
    except OSError as exc:
        unavailable(f"Redis at {parsed.hostname}:{parsed.port} is not reachable: {exc}")
    return url
