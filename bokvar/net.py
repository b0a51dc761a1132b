"""The client's address, one rule for the whole product (access log, lock-out, throttling).

`X-Forwarded-For` is written by whoever sends the request, so it is believed only as far
as it was appended by proxies we run: walking the header from the right, every hop that
arrived from a configured trusted proxy is peeled off, and the first address not in
`TRUSTED_PROXIES` is the client. With no trusted proxies configured (the default), the
header is ignored and REMOTE_ADDR is the client.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.http import HttpRequest

from .conf import setting

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(part, strict=False) for part in spec)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client, never one a client could choose (see module doc)."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    trusted = _networks(tuple(setting("TRUSTED_PROXIES")))
    address = _parse(remote)
    if not trusted or address is None or not any(address in net for net in trusted):
        return remote[:45]
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        hop_address = _parse(hop)
        if hop_address is None:
            # A malformed hop was written by the client: what our proxy saw before it
            # is the last address we can vouch for.
            break
        address = hop_address
        if not any(hop_address in net for net in trusted):
            return str(hop_address)[:45]
    return str(address)[:45]
