"""The base layout's header written in Python (home/layout.py) is byte for byte what the
template wrote: tests/home/reference_base.html is templates/base.html as it was, with the
header in template tags. Both are rendered with the same request and context, for a
reader of every role, signed out, in both languages, with badges, a current entry, a
name and labels that need escaping, local passwords on and off, and the error pages'
own `next`."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory, override_settings
from django.utils import translation

from home.context_processors import navigation

pytestmark = pytest.mark.django_db

REFERENCE = (Path(__file__).parent / "reference_base.html").read_text()
CHILD = "{% extends base %}{% block content %}<p>page</p>{% endblock %}"
ERROR_CHILD = (
    "{% extends base %}{% block language_next %}/{% endblock %}"
    "{% block content %}<p>404</p>{% endblock %}"
)


def _both(request, extra=None, child=CHILD) -> tuple[str, str]:
    engine = engines["django"]
    context = {"csrf_token": "TOKEN-<&>", **navigation(request), **(extra or {})}
    new = engine.from_string(child).render({**context, "base": "base.html"}, request)
    # The backend's wrapper around the engine's own Template, which {% extends %} takes.
    reference_base = engine.from_string(REFERENCE).template  # type: ignore[attr-defined]
    reference = engine.from_string(child).render({**context, "base": reference_base}, request)
    return new, reference


def _request(path: str, user) -> object:
    request = RequestFactory().get(path, {"q": "a&b"})
    request.user = user
    return request


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_reader_gets_the_template_header_byte_for_byte(org, language):
    compared = 0
    with translation.override(language):
        for username, user in sorted(org.users.items()):
            for path in ("/cases/", "/steering/statistics/", "/"):
                new, reference = _both(_request(path, user))
                assert new == reference, (username, path)
                assert "main-nav" in new
                compared += 1
        new, reference = _both(_request("/", AnonymousUser()))
        assert new == reference
        assert "main-nav" not in new and "whoami" not in new
    assert compared == 3 * len(org.users) > 20


def test_badges_current_entries_names_and_passwords_written_alike(org):
    user = org.users["coordinator"]
    user.first_name, user.last_name = 'Å<b>"', "O'Neil & Co"
    request = _request("/cases/signals/", user)
    items = navigation(request)["nav_items"]
    items[0] = {**items[0], "badge": 1, "label": "<Cases & more>"}
    items[1] = {**items[1], "badge": 1234}
    for language in ("sv", "en"):
        with translation.override(language):
            for local_passwords in (True, False):
                extra = {"nav_items": items, "local_passwords": local_passwords}
                new, reference = _both(request, extra)
                assert new == reference, (language, local_passwords)
    assert 'aria-current="page"' in new
    # Past 99 a badge says "99+" (counted up to 100 and no further: home.navigation).
    assert 'class="badge"' in new and ">99+</span>" in new and "1234" not in new
    assert 'aria-label="more than 99 waiting">99+' in new
    assert "&lt;Cases &amp; more&gt;" in new and "O&#x27;Neil &amp; Co" in new
    assert "TOKEN-&lt;&amp;&gt;" in new  # the token is escaped as {% csrf_token %} does


def test_a_user_without_a_usable_password_and_without_a_name(org):
    user = org.users["caseworker"]
    user.first_name = user.last_name = ""
    user.set_unusable_password()
    new, reference = _both(_request("/cases/deadlines/", user), {"local_passwords": True})
    assert new == reference
    assert f'<span class="whoami">{user.username}</span>' in new
    assert "password-change" not in new and "/password" not in new


def test_the_error_pages_next_stays_theirs(org):
    new, reference = _both(_request("/nowhere/", org.users["guide"]), child=ERROR_CHILD)
    assert new == reference
    assert '<input name="next" type="hidden" value="/">' in new


@override_settings(LANGUAGES=[("sv", "Svenska"), ("en", "English")])
def test_the_current_language_is_selected(org):
    with translation.override("en"):
        new, _reference = _both(_request("/", org.users["auditor"]))
    assert '<option value="en" lang="en" selected>English</option>' in new
    assert '<option value="sv" lang="sv">Svenska</option>' in new


@pytest.mark.parametrize(
    ("count", "shown", "label"),
    [(99, ">99</span>", "99 väntar"), (100, ">99+</span>", "fler än 99 väntar")],
)
def test_a_badge_shows_its_count_up_to_99_then_99_plus(org, count, shown, label):
    request = _request("/cases/", org.users["coordinator"])
    items = navigation(request)["nav_items"]
    items[0] = {**items[0], "badge": count}
    with translation.override("sv"):
        new, reference = _both(request, {"nav_items": items, "local_passwords": True})
    assert new == reference
    assert shown in new and f'aria-label="{label}"' in new
