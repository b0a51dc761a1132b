"""Expired sessions are cleared on a schedule (issue 17): they hold encrypted searches
that key rotation does not re-encrypt, so they must not outlive their use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_schedule_clears_expired_sessions_daily():
    from bokvar.tasks import clear_expired_sessions

    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "bokvar.clear_sessions"
    )
    assert entry["schedule"] <= 24 * 3600
    old, live = SessionStore(), SessionStore()
    old["q"] = "x"
    live["q"] = "y"
    old.create()
    live.create()
    Session.objects.filter(session_key=old.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    assert clear_expired_sessions() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
