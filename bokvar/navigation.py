"""The navigation: each app registers its entries with the roles that may use them,
so a role sees only what it may open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str  # lazy translation
    url_name: str
    roles: frozenset[str]
    order: int = 100
    # Returns a number shown beside the entry (e.g. pending handovers); one query at most.
    badge: Callable[[HttpRequest], int] | None = None


_registry: dict[str, NavItem] = {}


def register(item: NavItem) -> None:
    _registry[item.key] = item


def items_for(request: HttpRequest) -> list[dict]:
    from .selectors import roles_of

    roles = roles_of(request.user)
    entries = []
    for item in sorted(_registry.values(), key=lambda i: (i.order, i.key)):
        if not roles.has(*item.roles):
            continue
        url = reverse(item.url_name)
        entries.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "badge": item.badge(request) if item.badge else None,
                "current": request.path.startswith(url) if url != "/" else request.path == "/",
            }
        )
    return entries
