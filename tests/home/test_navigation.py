"""The main navigation shows each role exactly what it may use: every entry shown
opens for that role, and every entry of another role that is not shown is refused."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

NAV = re.compile(r'<nav aria-label="[^"]*" class="main-nav">(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')

# The specification: which entries each demo user's role is meant to see.
EXPECTED = {
    "coordinator": {
        "cases:list",
        "cases:signals",
        "cases:deadlines",
        "cases:handovers",
        "cases:landlords",
        "housing:apartments",
        "housing:comparison",
        "housing:forecast",
        "partners:list",
        "partners:places",
        "partners:surveys",
        "steering:dashboard",
        "steering:reports",
        "notifications",
    },
    "guide": {
        "cases:list",
        "cases:deadlines",
        "cases:handovers",
        "housing:apartments",
        "housing:comparison",
        "housing:forecast",
        "notifications",
    },
    "caseworker": {
        "cases:list",
        "cases:deadlines",
        "cases:handovers",
        "housing:forecast",
        "notifications",
    },
    "caseworker2": {
        "cases:list",
        "cases:deadlines",
        "cases:handovers",
        "housing:forecast",
        "notifications",
    },
    "steering": {"steering:dashboard", "steering:reports", "partners:surveys", "notifications"},
    "auditor": {"audit:index", "notifications"},
    "admin": {
        "cases:list",
        "cases:landlords",
        "partners:list",
        "partners:places",
        "notifications",
    },
    # Meeting-place staff: their places' tallies and reports, nothing about a person.
    "skotare": {"partners:places", "partners:surveys", "notifications"},
}
ALL_ENTRIES = set().union(*EXPECTED.values())


def _nav_links(client) -> set[str]:
    body = client.get(reverse("home")).content.decode()
    match = NAV.search(body)
    assert match, "the home page has no main navigation"
    return set(HREF.findall(match.group(1)))


def _sign_in(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_navigation_shows_exactly_the_role_entries_and_each_opens(client, org, username):
    """One start page per role for both checks (it was fetched twice, once per test: for
    the steering group that is a cold publication of the statistics' trend each time)."""
    _sign_in(client, org.users[username])
    links = _nav_links(client)
    not_opening = {url: status for url in links if (status := client.get(url).status_code) != 200}
    # Both checks in one assertion, so a failure reports both.
    assert (links, not_opening) == ({reverse(name) for name in EXPECTED[username]}, {}), username


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_entries_not_shown_are_refused(client, org, username):
    _sign_in(client, org.users[username])
    for name in sorted(ALL_ENTRIES - EXPECTED[username]):
        response = client.get(reverse(name))
        assert response.status_code in (403, 404), (username, name, response.status_code)


def test_user_without_role_sees_only_notifications(client, outsider):
    _sign_in(client, outsider)
    links = _nav_links(client)
    assert links <= {reverse("notifications")}
    for name in sorted(ALL_ENTRIES - {"notifications"}):
        assert client.get(reverse(name)).status_code in (403, 404), name


def test_signed_out_visitor_sees_no_navigation(client, org):
    body = client.get(reverse("login")).content.decode()
    assert not NAV.search(body)


def _notifications_badge(client) -> str:
    found = NAV.search(client.get(reverse("cases:list")).content.decode())
    assert found is not None
    entry = re.search(r'href="' + reverse("notifications") + r'"[^>]*>(.*?)</a>', found[1], re.S)
    assert entry is not None
    return entry[1]


def test_a_badge_past_99_shows_99_plus(client, org):
    """The badges are counted up to 100 and no further (a coordinator at national scale
    had 739 unread notifications, counted on every page): 99 shows as 99, 100 as 99+."""
    from bokvar.models import Notification

    user, other = org.users["coordinator"], org.users["caseworker"]
    Notification.objects.filter(recipient=user).update(read_at=None)
    missing = 100 - Notification.objects.filter(recipient=user, read_at=None).count()
    Notification.objects.bulk_create(
        [Notification(recipient=user, kind="test", dedupe_key=f"k{i}") for i in range(missing)]
        + [Notification(recipient=other, kind="test", dedupe_key=f"k{i}") for i in range(150)]
    )
    _sign_in(client, user)
    assert '<span class="badge" aria-label="fler än 99 väntar">99+</span>' in (
        _notifications_badge(client)
    )
    Notification.objects.filter(
        pk=Notification.objects.filter(recipient=user, read_at=None).values("pk")[:1]
    ).update(read_at=timezone.now())
    assert '<span class="badge" aria-label="99 väntar">99</span>' in _notifications_badge(client)
