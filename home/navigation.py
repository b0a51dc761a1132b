"""The main navigation, in order: each entry with the roles that may use it, so a role
sees only what it may open. A plain list: to add an entry, add it here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from django.core.signals import setting_changed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from bokvar import roles
from bokvar.counting import counter, known_badges
from bokvar.models import User
from bokvar.notifications import unread
from bokvar.permissions import AuthenticatedRequest
from bokvar.selectors import roles_of
from cases.evictions.selectors import my_deadline_badge, untriaged_badge
from cases.handovers.selectors import inbox_badge

from . import layout


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise  # a lazy translation
    url_name: str
    roles: tuple[str, ...]
    # A number shown beside the entry (e.g. pending handovers): what it counts. Every
    # badge of a page is counted in one query (`items_for`), whatever their number.
    badge: Callable[[AuthenticatedRequest], QuerySet] | None = None


def _unread(request: AuthenticatedRequest) -> QuerySet:
    return unread(request.user)


NAVIGATION: list[NavItem] = [
    NavItem("cases", _("Cases"), "cases:list", roles.CASE_PAGES),
    NavItem("signals", _("Signals"), "cases:signals", roles.TRIAGE, badge=untriaged_badge),
    NavItem("handovers", _("Handovers"), "cases:handovers", roles.CASE_STAFF, badge=inbox_badge),
    NavItem(
        "deadlines", _("My deadlines"), "cases:deadlines", roles.CASE_STAFF, badge=my_deadline_badge
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


# The badges' count statement, compiled, per reader: building and compiling the badges'
# querysets was about a fifth of the web process's CPU on a page (issue 22). The
# statement runs on every page, so the numbers are always those of the moment; only its
# text is kept, and the text is a function of what it is keyed by: the reader, their
# roles as loaded for this request (memberships change the key), their account's flags
# and the day (deadlines count up to a horizon from today). Building the badges reads
# nothing else from the database (tests/home/test_navigation_cache.py holds them to
# that), and any change of settings (tests) empties it. Bounded; per process.
_COUNTERS: dict[tuple, Callable[[], list[int]]] = {}
_MAX_COUNTERS = 2000


def _forget_counters(**kwargs: object) -> None:
    _COUNTERS.clear()
    layout.forget_urls()


setting_changed.connect(_forget_counters)


def items_for(request: HttpRequest) -> list[dict]:
    if not isinstance(request.user, User):
        return []  # the anonymous hold no role: no entry
    # Signed in, as the badges' functions need (a narrowed user does not narrow the request).
    signed_in = cast(AuthenticatedRequest, request)
    user = request.user
    user_roles = roles_of(user)
    known = known_badges(request)
    entries = []
    badges: list[tuple[dict, NavItem]] = []
    for item in NAVIGATION:
        if not user_roles.has(*item.roles):
            continue
        # Reversed once per process: a tenth of the navigation's CPU (issue 22).
        url = layout.url(item.url_name)
        entry: dict[str, object] = {
            "key": item.key,
            "label": item.label,
            "url": url,
            "badge": None,
            "current": request.path.startswith(url) if url != "/" else request.path == "/",
        }
        if item.key in known:
            entry["badge"] = known[item.key]
        elif item.badge:
            badges.append((entry, item))
        entries.append(entry)
    if not badges:
        return entries
    key = (
        user.pk,
        user.is_active,
        user.is_superuser,
        user_roles,
        timezone.localdate(),
        tuple(item.key for _entry, item in badges),
    )
    count = _COUNTERS.get(key)
    if count is None:
        # One query for every badge of the page (bokvar.counting).
        count = counter(
            [item.badge(signed_in) for _entry, item in badges],  # type: ignore[misc]
            most=layout.BADGE_MOST + 1,  # enough to know it is past what a badge shows
        )
        if len(_COUNTERS) >= _MAX_COUNTERS:
            _COUNTERS.clear()
        _COUNTERS[key] = count
    for (entry, _item), number in zip(badges, count(), strict=True):
        entry["badge"] = number
    return entries
