"""Is Bo Kvar working? The checks a supervisor or monitoring system runs: the database,
the broker, the workers and the scheduler (issue 22, point 6). Nothing here names a
person or a case: the answers are "ok" or what has stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import Celery
from django.db import connection
from django.utils import timezone

from . import celery as celery_module
from .models import JobHeartbeat

HEARTBEAT = "scheduler"
# The heartbeat job runs every minute (settings.CELERY_BEAT_SCHEDULE); five missed
# beats mean the scheduler is down, or no worker takes its jobs.
HEARTBEAT_MAX_AGE = timedelta(minutes=5)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def check_database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure is the answer, not an error page
        return Check("database", False, type(exc).__name__)
    return Check("database", True)


def check_broker(app: Celery | None = None) -> Check:
    app = app or celery_module.app
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return Check("broker", False, type(exc).__name__)
    return Check("broker", True)


def check_workers(app: Celery | None = None, timeout: float = 2.0) -> Check:
    app = app or celery_module.app
    try:
        answers = app.control.ping(timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        return Check("workers", False, type(exc).__name__)
    if not answers:
        return Check("workers", False, f"no worker answered within {timeout:g} s")
    return Check("workers", True, f"{len(answers)} answered")


def check_scheduler(now: datetime | None = None) -> Check:
    now = now or timezone.now()
    ran_at = JobHeartbeat.objects.filter(name=HEARTBEAT).values_list("ran_at", flat=True).first()
    if ran_at is None:
        return Check("scheduler", False, "no heartbeat yet")
    age = now - ran_at
    if age > HEARTBEAT_MAX_AGE:
        minutes = int(age.total_seconds() // 60)
        return Check("scheduler", False, f"last heartbeat {minutes} minutes ago")
    return Check("scheduler", True)


def record_heartbeat(now: datetime | None = None) -> None:
    JobHeartbeat.objects.update_or_create(
        name=HEARTBEAT, defaults={"ran_at": now or timezone.now()}
    )


def web_checks() -> list[Check]:
    """What a load balancer asks of each web process: can it serve a page?"""
    return [check_database(), check_broker()]


def all_checks(app: Celery | None = None) -> list[Check]:
    """What the supervisor's monitoring asks: is every part of Bo Kvar running?"""
    return [check_database(), check_broker(app), check_workers(app), check_scheduler()]
