"""Tasks that exist only for tests, loaded into a test worker with `celery worker -I`."""

import time

from celery import shared_task


@shared_task(name="tests.sleep")
def sleep(seconds: float) -> str:
    """Keeps the worker busy, so a test can take the broker away while a task runs."""
    time.sleep(seconds)
    return "slept"
