"""Every role walks every page it can reach (issue 19, point 3): from the start page,
each link and each form a role is shown is followed or submitted, and none may answer
403 or 404 to that role. A button is shown only to those who may use it.

The walk runs on the demo data (`seed_demo`). Forms are submitted with the values they
are shown with, inside a transaction that is rolled back, so a submitted form changes
nothing the rest of the walk sees. Pages of one shape (the same path with other ids,
the same query keys) are visited a few times per role, not once per row."""

from __future__ import annotations

import re
from collections import Counter, deque
from html import unescape
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.db import transaction

from bokvar.demo import DEMO_USERS
from bokvar.models import User
from tests.shared_data import SHARED, register_layer

pytestmark = pytest.mark.django_db

PER_SHAPE = 2  # pages of one shape visited per role
LINK = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]*)\"", re.I)
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.I | re.S)
ATTR = re.compile(r"([\w-]+)\s*=\s*\"([^\"]*)\"")
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>(.*?</\1>)?", re.I | re.S)
OPTION = re.compile(r"<option\b([^>]*)>", re.I)
# Not pages of the application: the language switch and sign-out change the session,
# static files and the API schema are not pages a role is shown buttons on.
SKIPPED = ("/static/", "/logout/", "/i18n/", "/api/schema/")
ROLES = [username for username, *_rest in DEMO_USERS]


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def attrs(text: str) -> dict[str, str]:
    return {k.lower(): unescape(v) for k, v in ATTR.findall(text)}


def form_data(body: str) -> list[tuple[str, str]]:
    """The values a browser would send for the form as shown (no button pressed)."""
    data = []
    for tag, raw, inner in FIELD.findall(body):
        a = attrs(raw)
        name = a.get("name")
        if not name or "disabled" in raw:
            continue
        kind = a.get("type", "text").lower()
        if tag.lower() == "input":
            if kind in {"submit", "button", "file", "image", "reset"}:
                continue
            if kind in {"checkbox", "radio"}:
                if re.search(r"\bchecked\b", raw):
                    data.append((name, a.get("value", "on")))
                continue
            data.append((name, a.get("value", "")))
        elif tag.lower() == "select":
            options = [attrs(o) | {"_raw": o} for o in OPTION.findall(inner or "")]
            chosen = [o for o in options if re.search(r"\bselected\b", o["_raw"])] or options[:1]
            data.extend((name, o.get("value", "")) for o in chosen)
        else:
            text = re.sub(r"</textarea>$", "", inner or "", flags=re.I)
            data.append((name, unescape(text)))
    return data


class Walk:
    def __init__(self, client, role: str):
        self.client = client
        self.role = role
        self.seen_shapes: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.queue: deque[tuple[str, str]] = deque([("/", "(start)")])
        self.problems: list[str] = []
        self.pages = 0
        self.forms = 0

    def wanted(self, url: str) -> bool:
        if url in self.seen or url.startswith(SKIPPED):
            return False
        return self.seen_shapes[shape(url)] < PER_SHAPE

    def take(self, url: str) -> None:
        self.seen.add(url)
        self.seen_shapes[shape(url)] += 1

    def local(self, base: str, href: str) -> str | None:
        href = unescape(href).strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            return None
        parts = urlsplit(urljoin("http://testserver" + base, href))
        if parts.netloc != "testserver":
            return None
        return parts.path + ("?" + parts.query if parts.query else "")

    def check(self, response, url: str, source: str, what: str) -> None:
        if response.status_code in (403, 404, 405):
            self.problems.append(f"{self.role}: {what} {url} on {source} -> {response.status_code}")

    def run(self) -> None:
        while self.queue:
            url, source = self.queue.popleft()
            if not self.wanted(url):
                continue
            self.take(url)
            response = self.client.get(url)
            self.pages += 1
            self.check(response, url, source, "link")
            if response.status_code in (301, 302):
                target = self.local(url, response["Location"])
                if target:
                    self.queue.append((target, url))
                continue
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            self.follow(url, response.content.decode())

    def follow(self, url: str, page: str) -> None:
        for match in FORM.finditer(page):
            form, body = attrs(match[1]), match[2]
            action = self.local(url, form.get("action") or url)
            if not action or action.startswith(SKIPPED) or "/admin/" in url:
                continue
            if form.get("method", "get").lower() == "post":
                self.submit(action, body, url)
            else:
                query = urlencode(form_data(body))
                target = action.split("?")[0] + ("?" + query if query else "")
                if self.wanted(target):
                    self.queue.append((target, url))
        for href in LINK.findall(page):
            link = self.local(url, href)
            if link and self.wanted(link):
                self.queue.append((link, url))

    def submit(self, action: str, body: str, source: str) -> None:
        key = "POST " + shape(action)
        if self.seen_shapes[key] >= 1:
            return
        self.seen_shapes[key] += 1
        self.forms += 1
        with transaction.atomic():
            data: dict[str, list[str]] = {}
            for name, value in form_data(body):
                data.setdefault(name, []).append(value)
            response = self.client.post(action, data)
            transaction.set_rollback(True)
        self.check(response, action, source, "form")


def _publish_last_full_month() -> None:
    """The statistics of the last full month published as the first statistics reader's
    start page or dashboard publishes them: the trend's 24 months and the compared ones."""
    from django.utils import timezone

    from steering import selectors, snapshots
    from steering.periods import last_full_month

    period = last_full_month(timezone.localdate())
    readers = User.objects.filter(username__in=["coordinator", "steering"]).order_by("username")
    for district in {selectors.district_for_user(user) for user in readers}:
        snapshots.report_for(district=district, period=period)


# The coordinator's and the steering group's walks each published the demo district's
# last full month cold (about a second of CPU on the demo data each): published once,
# for every role's walk, in a layer over the demo data. Which links and forms answer
# 403 or 404 does not depend on it; publishing itself is tested in tests/steering.
@register_layer("demo_last_month_published")
def _build_demo_last_month_published_layer() -> bool:
    _publish_last_full_month()
    return True


@pytest.fixture
def demo_last_month_published(demo_seeded):
    """The demo district's last full month published (a layer, else here)."""
    if SHARED.layer_data("demo_last_month_published") is None:
        _publish_last_full_month()


@pytest.mark.parametrize("role", ROLES)
def test_no_link_or_form_a_role_is_shown_answers_403_or_404(
    demo_seeded, demo_last_month_published, client, role
):
    client.force_login(
        User.objects.get(username=role), backend="django.contrib.auth.backends.ModelBackend"
    )
    walk = Walk(client, role)
    walk.run()
    print(f"{role}: {walk.pages} pages, {walk.forms} forms submitted")
    # The walk really went somewhere: the start page and the navigation at least.
    assert walk.pages >= 3, walk.pages
    assert not walk.problems, f"{len(walk.problems)} broken for {role}:\n" + "\n".join(
        walk.problems
    )
