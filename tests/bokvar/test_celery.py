"""A real task through the real Redis broker to a real worker process."""

import pytest

from bokvar.tasks import ping

pytestmark = pytest.mark.services


def test_task_round_trip_through_redis_and_worker(celery_worker):
    result = ping.delay("hej")
    assert result.get(timeout=30) == "pong:hej"
    assert celery_worker.process.poll() is None, "the worker is still running"
