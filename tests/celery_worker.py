"""A real Celery worker in its own process, on the real Redis broker, reading the
test database. Tests that use it must commit their data (transactional tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

from celery import Celery
from django.db import connection

from bokvar.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_current_test_db() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{auth}@{host}:{port}/{s['NAME']}"


def client_for(redis_url: str) -> Celery:
    """A client of a broker other than the test session's (e.g. a private Redis)."""
    # Not the current app: tasks that later tests send must still go to the session broker.
    client = Celery("bokvar-test-client", broker=redis_url, backend=redis_url, set_as_current=False)
    client.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])
    return client


def start_worker(
    redis_url: str,
    queue: str,
    *,
    include: tuple[str, ...] = (),
    client: Celery | None = None,
    pool: str = "solo",
) -> SimpleNamespace:
    """Start a worker on `queue`; `include` adds test-only task modules (`celery -I`)."""
    client = client or celery_app
    mail_dir = tempfile.mkdtemp(prefix="bokvar-mail-")
    env = os.environ.copy()
    env.update(
        {
            "DEBUG": "1",
            "DATABASE_URL": database_url_for_current_test_db(),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": redis_url,
            "BOKVAR_CELERY_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": mail_dir,
        }
    )
    log = open(Path(mail_dir) / "worker.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "bokvar",
            "worker",
            f"--pool={pool}",
            "--concurrency=1",
            *(["--include", ",".join(include)] if include else []),
            "--loglevel=INFO",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=test-{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = SimpleNamespace(process=proc, queue=queue, mail_dir=Path(mail_dir), log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                "Celery worker exited:\n" + (worker.mail_dir / "worker.log").read_text()
            )
        try:
            result = client.send_task("bokvar.ping", args=["ready"], queue=queue)
            if result.get(timeout=5) == "pong:ready":
                return worker
        except Exception:  # noqa: BLE001, S112 - not up yet; keep trying until the deadline
            continue
    stop_worker(worker)
    raise RuntimeError("Celery worker did not answer within 60 s")


def stop_worker(worker: SimpleNamespace) -> None:
    worker.process.terminate()
    try:
        worker.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.process.kill()
    worker.log.close()


def new_queue_name() -> str:
    return f"bokvar-test-{uuid.uuid4().hex[:8]}"
