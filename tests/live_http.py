"""A real Bo Kvar development server in its own process, and signed-in HTTP clients.

The concurrency tests need what `make run` gives a team trying Bo Kvar out: the
`runserver` process (one thread per connection) on SQLite or PostgreSQL, and several
people clicking at once, each with their own session, CSRF token and keep-alive socket.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urlencode

from bench.load.run import free_port as bench_free_port
from bench.load.run import port_range

ROOT = Path(__file__).resolve().parents[1]
# Servers the tests start listen on these ports (the first free one of the test
# process's share is taken: free_port).
PORTS = os.environ.get("BOKVAR_TEST_PORTS", "8190-8229")
# Inherited variables that would point the server at the test runner's own services.
NOT_INHERITED = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "BOKVAR_DATA_DIR"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    """The first free port of PORTS among those that fall to this test process. Under
    xdist each process takes every Nth port of the range (gw0 the first, gw1 the
    second, ...): with one shared "first free port" the other process's server could
    bind the port between this one probing it and its server binding it (seen: the
    OIDC provider's port taken, every single-sign-on test of the module erroring)."""
    ports = port_range(PORTS)
    processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    if processes > 1:
        ports = ports[index % processes :: processes]
    return bench_free_port(ports, "a test server")


def server_env(*, data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    env.update({"DEBUG": "1", "BOKVAR_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(*args: str, env: dict[str, str], timeout: int = 600) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"


@dataclass(frozen=True)
class DevServer:
    port: int
    pid: int


def thread_niceness(pid: int) -> list[int]:
    """The nice value of each thread of a running process (/proc/<pid>/task/*/stat)."""
    values = []
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        # Field 19 is the nice value; the command name (field 2) may hold spaces, so
        # count from the parenthesis that closes it.
        values.append(int(stat.read_text().rpartition(")")[2].split()[16]))
    return values


@contextmanager
def dev_server(env: dict[str, str], log: Path, niceness: int = 0):
    """`manage.py runserver` exactly as scripts/run-dev starts it; yields its port and
    process id.

    `niceness` lowers the server's CPU priority (nice(1)): a server driven flat out for a
    fixed time then takes the CPU the rest of the run leaves, instead of an equal share
    of it. Set as soon as the process exists, before the server starts its request
    threads, which inherit it from the main thread (Linux keeps a priority per thread)."""
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if niceness:
        os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"runserver stopped:\n{log.read_text()[-3000:]}"
            try:
                with socket.create_connection(("127.0.0.1", port), 0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "runserver did not start within 120 s"
                time.sleep(0.2)
        yield DevServer(port=port, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class Client:
    """One person's browser: a keep-alive connection, cookies and the CSRF token."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "sv"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (ConnectionError, http.client.HTTPException):
            # The server closed an idle keep-alive socket: a browser simply reconnects.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def post_form(self, path: str, fields: dict) -> tuple[int, str]:
        """Open the form page (for its CSRF token), then post it as a browser would."""
        status, page = self.get(path)
        if status != 200:
            return status, page
        token = CSRF_INPUT.search(page)
        assert token, f"no CSRF token on {path}"
        return self.request("POST", path, {"csrfmiddlewaretoken": unescape(token[1]), **fields})

    def sign_in(self, username: str, password: str) -> None:
        """The password, then the demo user's authenticator code (its published key)."""
        status, _page = self.post_form(
            "/login/", {"username": username, "password": password, "next": ""}
        )
        assert status == 302, f"{username} could not sign in ({status})"
        # A code is accepted once: a second session of the same user in the same 30
        # seconds takes the next step's code, which the server's tolerance allows. Under
        # load two sessions can also cross a 30-second boundary between computing and
        # sending their codes, so keep trying the current and the next step's code, each
        # after the throttle django-otp sets on a device after a failure (1 s, doubling).
        for attempt in range(4):
            if attempt:
                time.sleep(2**attempt)
            code = demo_code(username, attempt % 2)
            status, _page = self.post_form("/login/code/", {"code": code})
            if status == 302:
                return
        raise AssertionError(f"{username} could not give a second factor ({status})")


def demo_code(username: str, step: int = 0) -> str:
    """The current (or a later step's) code of a demo user's known authenticator key."""
    from django_otp.oath import TOTP

    from bokvar.second_factor import demo_key

    totp = TOTP(bytes.fromhex(demo_key(username)))
    totp.time = time.time() + 30 * step
    return f"{totp.token():06d}"
