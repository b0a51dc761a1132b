"""Case searches kept out of URLs.

A search by identity number or name is posted, never sent as a query string:
URLs end up in server logs, proxies and browser history. The posted text is kept
encrypted in the user's session under a random token, and the result pages
(and their pagination links) carry only that token."""

from __future__ import annotations

import secrets

from django.contrib.sessions.backends.base import SessionBase

from bokvar import crypto

SESSION_KEY = "case_searches"
# What a kept search is bound to (the token is its row key): it cannot be read elsewhere.
PLACE = "session.case_search"
# Enough for a few tabs; the oldest is forgotten first.
KEPT = 10


def remember(session: SessionBase, text: str) -> str:
    token = secrets.token_urlsafe(9)
    kept = dict(session.get(SESSION_KEY, {}))
    kept[token] = crypto.encrypt(text, place=PLACE, row_key=token)
    session[SESSION_KEY] = dict(list(kept.items())[-KEPT:])
    return token


def recall(session: SessionBase, token: str) -> str | None:
    """The text searched under `token`, or None when the session no longer has it or it
    can no longer be read (its key was rotated out): both are an expired search."""
    kept = session.get(SESSION_KEY, {})
    stored = kept.get(token)
    if not stored:
        return None
    try:
        return str(crypto.decrypt(stored, place=PLACE))
    except crypto.DecryptionError:
        # Never shown or passed on as text; forgotten so the session stops carrying it.
        session[SESSION_KEY] = {k: v for k, v in kept.items() if k != token}
        return None
