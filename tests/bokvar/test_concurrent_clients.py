"""Colleagues working at once (issue 19, point 1): eight signed-in people click through a
real development server for 30 seconds, reading and writing, on SQLite and on
PostgreSQL, and not one request fails. And the development server does not hold a
database connection per browser socket.

The server is `manage.py runserver` in its own process, as `make run` starts it; the
clients are real HTTP connections (keep-alive, cookies, CSRF), one thread each."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from typing import Any

import pytest
from django.db import connection

from tests.live_http import ROOT, Client, dev_server, manage, server_env

DURATION = 30.0  # seconds of clicking, as the issue asks
PASSWORD = "pw-concurrency-1"
EXCEPTION_VALUE = re.compile(r'<pre class="exception_value">(.*?)</pre>', re.S)
CASE_LINK = re.compile(r'href="/cases/(\d+)/"')
# Eight people: who they are and what they do. Case staff read and write on their cases,
# the others read their own pages.
CLIENTS = [
    ("coordinator", ["/", "/cases/", "/cases/signals/", "/notifications/"], True),
    ("coordinator", ["/", "/cases/", "/cases/deadlines/"], True),
    ("guide", ["/", "/cases/", "/housing/apartments/"], True),
    ("caseworker", ["/", "/cases/", "/cases/handovers/"], True),
    ("caseworker", ["/", "/cases/", "/notifications/"], True),
    ("caseworker2", ["/", "/cases/", "/cases/handovers/"], True),
    ("auditor", ["/", "/audit/log/"], False),
    ("steering", ["/", "/steering/reports/"], False),
]


def count_contacts(env) -> int:
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--verbosity",
            "0",
            "-c",
            "from cases.models import Contact; print(Contact.objects.count())",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.split()[-1])


def click_for(port: int, username: str, pages: list[str], writes: bool, until: float, out: dict):
    """One person for DURATION seconds: pages, case pages and (for case staff) new contacts."""
    rng = random.Random(username + str(len(out)))
    errors, done, posted = out["errors"], out["done"], out["posted"]
    client = Client(port)
    try:
        client.sign_in(username, PASSWORD)
        status, listing = client.get("/cases/")
        case_ids = sorted(set(CASE_LINK.findall(listing)))
        while time.monotonic() < until:
            roll = rng.random()
            if writes and case_ids and roll < 0.3:
                case_id = rng.choice(case_ids)
                path = f"/cases/{case_id}/contacts/new/"
                fields = {
                    "kind": "call",
                    "on": date.today().isoformat(),
                    "reached": "on",
                    "note": f"Samtal ({username})",
                    "follow_up_on": "",
                }
                status, body = client.post_form(path, fields)
                expected = 302
                if status == 302:
                    posted[username] += 1
            elif case_ids and roll < 0.6:
                path = f"/cases/{rng.choice(case_ids)}/"
                status, body = client.get(path)
                expected = 200
            else:
                path = rng.choice(pages)
                status, body = client.get(path)
                expected = 200
            done[username] += 1
            if status != expected:
                errors.append((username, path, status, body))
    except Exception as exc:  # noqa: BLE001 - any failure of a request is what we count
        errors.append((username, "?", repr(exc), ""))
    finally:
        client.close()


def drive(port: int, env) -> dict:
    before = count_contacts(env)
    out: dict[str, Any] = {"errors": [], "done": Counter(), "posted": Counter()}
    until = time.monotonic() + DURATION
    threads = [
        threading.Thread(target=click_for, args=(port, name, pages, writes, until, out))
        for name, pages, writes in CLIENTS
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DURATION + 300)
    out["contacts_added"] = count_contacts(env) - before
    return out


def reason(body: str) -> str:
    """The exception on Django's debug page, else the start of the answer."""
    found = EXCEPTION_VALUE.search(body)
    return found[1].strip() if found else body[:80]


def assert_no_errors(result: dict) -> None:
    errors = result["errors"]
    total = sum(result["done"].values())
    kinds = Counter((status, reason(body)) for _u, _p, status, body in errors)
    shown = "\n".join(f"{u} {p} -> {s} {reason(b)}" for u, p, s, b in errors[:10])
    assert not errors, f"{len(errors)} of {total} requests failed {dict(kinds)}:\n{shown}"
    # Everyone got work done, and every contact answered as saved is in the database.
    assert set(result["done"]) == {name for name, *_ in CLIENTS}, result["done"]
    assert sum(result["posted"].values()) >= len({n for n, _p, w in CLIENTS if w})
    assert result["contacts_added"] == sum(result["posted"].values())


def test_eight_people_at_once_on_sqlite(tmp_path):
    """The embedded default, as `make run` sets it up (SQLite in the data folder)."""
    env = server_env(data_dir=tmp_path, database_url=None)
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", "--password", PASSWORD, env=env)
    with dev_server(env, tmp_path / "server.log") as port:
        result = drive(port, env)
    assert_no_errors(result)


def postgresql_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("runs against the PostgreSQL test database (DATABASE_URL)")


@pytest.mark.django_db(transaction=True)
def test_eight_people_at_once_on_postgresql(tmp_path):
    """The production database: the server works on this test run's database, which the
    transactional test empties afterwards."""
    needs_postgresql()
    env = server_env(data_dir=tmp_path, database_url=postgresql_url())
    manage("seed_demo", "--password", PASSWORD, env=env)
    with dev_server(env, tmp_path / "server.log") as port:
        result = drive(port, env)
    assert_no_errors(result)


def server_connections(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_development_server_does_not_keep_a_connection_per_browser_socket(tmp_path):
    """runserver serves each keep-alive socket in its own thread; a connection kept for
    reuse (CONN_MAX_AGE) in such a thread stays open as long as the socket does, so a few
    browsers exhausted PostgreSQL's connections. Twelve open sockets that have each been
    served a page must not hold twelve database connections."""
    needs_postgresql()
    env = server_env(data_dir=tmp_path, database_url=postgresql_url())
    manage("seed_demo", "--password", PASSWORD, env=env)
    name = connection.settings_dict["NAME"]
    with dev_server(env, tmp_path / "server.log") as port:
        first = Client(port)
        first.sign_in("coordinator", PASSWORD)
        sockets = []
        for _ in range(12):
            client = Client(port)
            client.cookies = dict(first.cookies)
            status, _page = client.get("/cases/")
            assert status == 200
            sockets.append(client)
        held = server_connections(name)
        for client in sockets + [first]:
            client.close()
    # At most the server's own start-up connection (its migration check) may stay.
    assert held <= 1, f"{held} database connections held for 12 idle browser sockets"
