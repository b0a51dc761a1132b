"""The main navigation, in order: each entry with the roles that may use it, so a role
sees only what it may open. A plain list: to add an entry, add it here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bokvar import roles
from bokvar.models import User
from bokvar.notifications import unread_count
from bokvar.permissions import AuthenticatedRequest
from bokvar.selectors import roles_of
from cases.evictions.selectors import my_deadline_count, untriaged_count
from cases.handovers.selectors import inbox_count


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise  # a lazy translation
    url_name: str
    roles: tuple[str, ...]
    # A number shown beside the entry (e.g. pending handovers); one query at most.
    badge: Callable[[AuthenticatedRequest], int] | None = None


def _unread(request: AuthenticatedRequest) -> int:
    return unread_count(request.user)


NAVIGATION: list[NavItem] = [
    NavItem("cases", _("Cases"), "cases:list", roles.CASE_PAGES),
    NavItem("signals", _("Signals"), "cases:signals", roles.TRIAGE, badge=untriaged_count),
    NavItem("handovers", _("Handovers"), "cases:handovers", roles.CASE_STAFF, badge=inbox_count),
    NavItem(
        "deadlines", _("My deadlines"), "cases:deadlines", roles.CASE_STAFF, badge=my_deadline_count
    ),
    NavItem("landlords", _("Landlords"), "cases:landlords", roles.LANDLORD_REGISTER),
    NavItem("housing", _("Apartments"), "housing:apartments", roles.HOUSING),
    NavItem("comparison", _("Shelter nights year on year"), "housing:comparison", roles.HOUSING),
    NavItem("forecast", _("Cost forecast"), "housing:forecast", roles.CASE_STAFF),
    NavItem("partners", _("Partners"), "partners:list", roles.PARTNER_REGISTER),
    NavItem("meeting-places", _("Meeting places"), "partners:places", roles.MEETING_PLACES),
    NavItem("surveys", _("Surveys"), "partners:surveys", roles.SURVEYS),
    NavItem("audit", _("Audit"), "audit:index", roles.AUDITORS),
    NavItem("statistics", _("Statistics"), "steering:dashboard", roles.STATISTICS),
    NavItem("monthly-reports", _("Monthly reports"), "steering:reports", roles.STATISTICS),
    NavItem("notifications", _("Notifications"), "notifications", roles.EVERYONE, badge=_unread),
]


def items_for(request: HttpRequest) -> list[dict]:
    if not isinstance(request.user, User):
        return []  # the anonymous hold no role: no entry
    # Signed in, as the badges' functions need (a narrowed user does not narrow the request).
    signed_in = cast(AuthenticatedRequest, request)
    user_roles = roles_of(request.user)
    entries = []
    for item in NAVIGATION:
        if not user_roles.has(*item.roles):
            continue
        url = reverse(item.url_name)
        entries.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "badge": item.badge(signed_in) if item.badge else None,
                "current": request.path.startswith(url) if url != "/" else request.path == "/",
            }
        )
    return entries
