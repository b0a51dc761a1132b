"""The health checks (issue 22, point 6): the web's for the load balancer, and the
command that tells a supervisor a worker or the scheduler has stopped."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from bokvar import health
from bokvar.models import JobHeartbeat

from ..celery_worker import client_for, new_queue_name, start_worker, stop_worker


@pytest.mark.django_db
def test_web_health_is_public_and_says_only_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "broker": True}}
    assert "no-store" in response["Cache-Control"]
    assert client.post("/health/").status_code == 405


@pytest.mark.django_db
@pytest.mark.services
def test_web_health_answers_503_when_the_broker_is_gone(client, private_redis, monkeypatch):
    from bokvar import celery as celery_module

    monkeypatch.setattr(celery_module, "app", client_for(private_redis.url))
    private_redis.stop()
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "checks": {"database": True, "broker": False}}


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_health_command_sees_a_stopped_worker_and_a_stopped_scheduler(private_redis, monkeypatch):
    app = client_for(private_redis.url)
    # A broadcast ping collects answers for its whole timeout (2 s) unless told how many
    # to expect. This broker has one worker at most: the checks that find it return on
    # its answer instead of after 2 s; those that must find none still wait the 2 s.
    ping = app.control.ping
    monkeypatch.setattr(app.control, "ping", lambda **kwargs: ping(limit=1, **kwargs))
    checks = {c.name: c for c in health.all_checks(app)}
    assert checks["broker"].ok and checks["database"].ok
    assert not checks["workers"].ok and not checks["scheduler"].ok

    queue = new_queue_name()
    worker = start_worker(private_redis.url, queue, client=app)
    try:
        # What the scheduler sends every minute, run by the worker.
        app.send_task("bokvar.heartbeat", queue=queue).get(timeout=60)
        checks = {c.name: c for c in health.all_checks(app)}
        assert all(c.ok for c in checks.values()), checks
        # Ten minutes without a beat: the scheduler has stopped, the workers still answer.
        JobHeartbeat.objects.update(ran_at=timezone.now() - timedelta(minutes=10))
        checks = {c.name: c for c in health.all_checks(app)}
        assert checks["workers"].ok
        assert not checks["scheduler"].ok and "10 minutes" in checks["scheduler"].detail
    finally:
        stop_worker(worker)
    time.sleep(0.5)
    assert not health.check_workers(app).ok


@pytest.mark.django_db
def test_health_command_exits_non_zero_naming_what_stopped(monkeypatch):
    monkeypatch.setattr(health, "check_workers", lambda app=None: health.Check("workers", False))
    with pytest.raises(CommandError, match="stopped: workers, scheduler"):
        call_command("health")
    call_command("health", "--web")  # the database and the broker are fine
