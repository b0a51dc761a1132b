"""Background work survives its broker: a real Redis of the test's own is stopped while a
real worker (the prefork pool, as in production) runs a task, started again, and the next reminder run still happens
(issue 22 point 6). The worker must reconnect by itself; nobody restarts it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from bokvar.models import Notification
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData

from ..celery_worker import client_for, new_queue_name, start_worker, stop_worker

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _call(client, name: str, *args: object, queue: str, timeout: float = 60) -> object:  # type: ignore[no-untyped-def]
    """Send until the broker takes it (it may still be coming back), then wait for the answer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return client.send_task(name, args=list(args), queue=queue).get(timeout=timeout)
        except Exception:  # noqa: BLE001 - connection refused while Redis restarts
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_worker_reconnects_after_redis_restarts_under_a_running_task(private_redis, org, make_case):
    coordinator = org.users["coordinator"]
    case = make_case(unit_kind="housing_team", assignees=["coordinator"])
    day = timezone.localdate() - timedelta(days=5)
    threat = threats.create_threat(
        actor=coordinator,
        case_id=case.pk,
        data=ThreatData(termination_served_on=day, board_notified_on=day),
        today=day,
    )
    reminder_day = threat.recovery_deadline - timedelta(days=7)

    queue = new_queue_name()
    client = client_for(private_redis.url)
    worker = start_worker(
        private_redis.url, queue, include=("tests.worker_tasks",), client=client, pool="prefork"
    )
    try:
        client.send_task("tests.sleep", args=[2.0], queue=queue)
        time.sleep(0.7)  # the task is running now
        # Twice, the second time longer than the worker's first reconnect attempts.
        for outage in (1.0, 6.0):
            private_redis.stop()
            time.sleep(outage)
            assert worker.process.poll() is None, "the worker exited when Redis went away"
            private_redis.start()
        # The next scheduled run reaches the same worker and does its work.
        assert (
            _call(client, "cases.send_deadline_reminders", reminder_day.isoformat(), queue=queue)
            == 1
        )
        assert worker.process.poll() is None, "the worker is still running"
        note = Notification.objects.get(kind="deadline_reminder")
        assert note.recipient == coordinator
        log = (worker.mail_dir / "worker.log").read_text()
        assert "Connection to broker lost" in log
        assert "Unrecoverable error" not in log
    finally:
        stop_worker(worker)
