"""The idle timeout's refresh is written at most once a SESSION_REFRESH_SECONDS
(bokvar/sessions.py, issue 22 point 3): an idle session still ends after the timeout,
never later, and a changed session is written at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bokvar.sessions import SessionStore

pytestmark = pytest.mark.django_db

IDLE = timedelta(seconds=settings.SESSION_COOKIE_AGE)


def _signed_in(client, org):
    client.force_login(org.users["guide"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("home")).status_code == 200
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _expiry(key):
    return Session.objects.get(session_key=key).expire_date


def _session_writes(ctx) -> list[str]:
    return [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "django_session"')
    ]


def test_the_refresh_is_a_minute_or_less_and_far_below_the_timeout():
    assert settings.SESSION_ENGINE == "bokvar.sessions"
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < settings.SESSION_REFRESH_SECONDS <= 60
    assert settings.SESSION_REFRESH_SECONDS * 30 <= settings.SESSION_COOKIE_AGE


def test_an_unchanged_session_is_not_written_again_within_the_refresh(client, org):
    key = _signed_in(client, org)
    before = timezone.now()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    assert _session_writes(ctx) == []
    # The stored expiry is never later than the timeout from this request, and at most
    # the refresh interval earlier.
    stored = _expiry(key)
    assert stored <= timezone.now() + IDLE
    assert stored >= before + IDLE - timedelta(seconds=settings.SESSION_REFRESH_SECONDS)


def test_the_expiry_moves_once_the_refresh_is_due(client, org):
    key = _signed_in(client, org)
    # As if the last write was a little more than the refresh interval ago.
    old = timezone.now() + IDLE - timedelta(seconds=settings.SESSION_REFRESH_SECONDS + 5)
    Session.objects.filter(session_key=key).update(expire_date=old)
    before = timezone.now()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    assert len(_session_writes(ctx)) == 1
    stored = _expiry(key)
    assert before + IDLE <= stored <= timezone.now() + IDLE


def test_a_session_idle_for_the_timeout_is_signed_out(client, org):
    key = _signed_in(client, org)
    # The last write (a refresh at most SESSION_REFRESH_SECONDS before the last request)
    # plus the timeout has passed: the next request is signed out.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_changed_session_is_written_at_once(client, org):
    key = _signed_in(client, org)
    store = SessionStore(key)
    store["changed"] = "yes"  # within the refresh interval, but changed
    store.save()
    assert SessionStore(key).get("changed") == "yes"


def test_a_session_signed_out_elsewhere_stays_signed_out(client, org):
    key = _signed_in(client, org)
    Session.objects.filter(session_key=key).delete()  # signed out in another tab
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db(transaction=True)
def test_a_changed_session_is_written_by_one_statement(client, org):
    """One UPDATE, its own transaction (issue 22, the twenty-ninth round): Django's store
    wrapped it in BEGIN and COMMIT, three round trips for one statement."""
    key = _signed_in(client, org)
    store = SessionStore(key)
    store["changed"] = "yes"
    with CaptureQueriesContext(connection) as ctx:
        store.save()
    assert [q["sql"].split(" ")[0] for q in ctx.captured_queries] == ["UPDATE"]
    assert SessionStore(key).get("changed") == "yes"
    assert _expiry(key) > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_a_session_gone_when_it_is_written_is_an_update_error(client, org):
    from django.contrib.sessions.backends.base import UpdateError

    key = _signed_in(client, org)
    store = SessionStore(key)
    store["changed"] = "yes"
    Session.objects.filter(session_key=key).delete()  # signed out in another tab
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.filter(session_key=key).exists()  # not written back
    # The connection is usable after it.
    assert client.get(reverse("home")).status_code == 302  # signed out


def test_inside_a_transaction_a_gone_session_leaves_the_transaction_usable(client, org):
    """In a caller's transaction (this test's), Django's own save and its savepoint."""
    from django.contrib.sessions.backends.base import UpdateError

    key = _signed_in(client, org)
    store = SessionStore(key)
    store["changed"] = "yes"
    Session.objects.filter(session_key=key).delete()
    with pytest.raises(UpdateError):
        store.save()
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db(transaction=True)
def test_a_session_posted_to_is_written_once_and_kept(client, org):
    """A search posted stores its words' token in the session: written by the one
    statement, and the result page reads it back."""
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    with CaptureQueriesContext(connection) as ctx:
        found = client.post(reverse("cases:list"), {"q": "Andersson"})
    assert found.status_code == 302
    writes = [q["sql"] for q in ctx.captured_queries if "django_session" in q["sql"]]
    assert [sql.split(" ")[0] for sql in writes if not sql.startswith("SELECT")] == ["UPDATE"]
    assert not [q for q in ctx.captured_queries if q["sql"] in ("BEGIN", "COMMIT")]
    assert client.get(found["Location"]).status_code == 200
