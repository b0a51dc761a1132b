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
changed it, as before.

A session that is written again (not created) is written by its one UPDATE, without
the transaction Django's store opens around it: BEGIN, UPDATE and COMMIT were three
round trips on every form posted (a search, a sign-in's second factor) and every
refresh, for one statement that is a transaction of its own anyway (issue 22, the
twenty-ninth round)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError, router, transaction


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
        if must_create or self.session_key is None:
            super().save(must_create=must_create)  # created: Django's own way
        else:
            self._update()
        self._stored_expiry = None  # written: a later save in this request decides again

    def _update(self) -> None:
        """Django's `save()` of an existing session, without its `transaction.atomic`: one
        UPDATE, on its own in autocommit (in a transaction a caller opened, Django's).
        A session no longer stored (signed out elsewhere) updates no row: `UpdateError`,
        as Django's, which the session middleware answers."""
        # Django's own reader of the data (its stubs do not declare it).
        data = self._get_session()  # type: ignore[attr-defined]
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        if transaction.get_connection(using).in_atomic_block:
            # Inside a caller's transaction Django's savepoint keeps a failure from
            # breaking the caller's transaction: its own way there.
            super().save()
            return
        try:
            obj.save(force_update=True, using=using)
        except DatabaseError as error:
            raise UpdateError from error
