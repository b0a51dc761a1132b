"""The session store: Django's database sessions, with the idle timeout's refresh written
at most once a `SESSION_REFRESH_SECONDS` (issue 22, point 3).

`SESSION_SAVE_EVERY_REQUEST` pushes a session's expiry to now + the idle timeout on every
request, which cost every page a transaction of its own (BEGIN, UPDATE, COMMIT) even
when nothing in the session changed. Here an unchanged session whose stored expiry is
less than `SESSION_REFRESH_SECONDS` behind the one this request would write is not
written again. The stored expiry is then at most that many seconds earlier than "now +
idle timeout": a session idle for the configured time is always ended, at worst a few
seconds sooner than the timeout says, never later. A changed session (signed in, a
second factor verified, a message queued, signed out) is written on the request that
changed it, as before."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import db


class SessionStore(db.SessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        # The expiry the database holds for this session, as read by this request (None:
        # not read, or no such session).
        self._stored_expiry: datetime | None = None

    def _get_session_from_db(self) -> Any:
        # Django's own reader of the row (its stubs do not declare it).
        stored = super()._get_session_from_db()  # type: ignore[misc]
        self._stored_expiry = stored.expire_date if stored is not None else None
        return stored

    def _refresh_due(self) -> bool:
        if self._stored_expiry is None:
            return True
        behind = self.get_expiry_date() - self._stored_expiry
        # A later expiry written elsewhere (behind < 0), or a changed expiry policy: write.
        return not timedelta(0) <= behind < timedelta(seconds=settings.SESSION_REFRESH_SECONDS)

    def save(self, must_create: bool = False) -> None:
        # Only a session this request read (every signed-in page reads it): an unread one
        # is saved as Django does, whatever it finds.
        read = hasattr(self, "_session_cache")
        unchanged = read and not must_create and self.session_key is not None and not self.modified
        if unchanged and not self._refresh_due():
            return
        super().save(must_create=must_create)
        self._stored_expiry = None  # written: a later save in this request decides again
