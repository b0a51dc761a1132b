"""The load test runs (a smoke run of a few seconds): real gunicorn on loopback, real
locust people of every role signing in with password and authenticator code, against
this test run's PostgreSQL database seeded with the demo data.

The demo data is the `demo_seeded` fixture's (`seed_demo` in this process, or a copy of
its first build: tests/shared_data.py) rather than a `manage.py seed_demo` process. Its
users' passwords are hashed with the tests' fast hasher, which the server (production
settings) does not accept; they get one real hash of the load test's password here, and
`bench.load.prepare` gives each account its authenticator device, as `seed_demo` does."""

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pytest
from django.db import connection

from tests.live_http import ROOT, server_env

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pw-load-smoke-1"


def _give_every_role_the_password(password: str) -> None:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from bench.load.prepare import ROLES
    from bokvar.models import User

    # One hash for all (a hash costs about half a second of a core): the server checks
    # it with the production hasher on every sign-in, as it would `seed_demo`'s.
    hasher = PBKDF2PasswordHasher()
    encoded = hasher.encode(password, hasher.salt())
    people = User.objects.filter(memberships__role__in=ROLES).values("pk")
    assert User.objects.filter(pk__in=people).update(password=encoded) >= len(ROLES)


# A mark, not a skip in the test: the fixture would seed the demo data first.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the load test runs against PostgreSQL"
)
def test_a_short_load_run_signs_everyone_in_and_reports_every_page(tmp_path, demo_seeded):
    import subprocess

    s = connection.settings_dict
    url = f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    env = server_env(data_dir=tmp_path / "data", database_url=url)
    # The production settings' collected static files (the manifest `{% static %}` reads):
    # kept between runs of this checkout instead of collected into each run's data folder
    # (2 s of CPU); bench.production.collect_static collects again when a static file or
    # pyproject.toml is newer than the manifest. Keyed by the checkout, whose files they are.
    key = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    env["STATIC_ROOT"] = str(Path(tempfile.gettempdir()) / f"bokvar-load-static-{key}")
    _give_every_role_the_password(PASSWORD)
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "bench.load.run", "--scale", "demo", "--users", "5",
         "--duration", "8", "--steps", "1", "--workers", "2", "--think", "0.1,0.3",
         "--equal-roles", "--password", PASSWORD, "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads((out / "load-demo.json").read_text())
    # Every person signed in for real (the code step redirects only for a right code).
    assert figures["pages"]["sign in: code"]["requests"] == 5
    assert figures["errors"] == 0, figures["pages"]
    # One person of each role worked through pages of their session.
    for role, pages in {
        "coordinator": ("signal triage queue", "case list"),
        "caseworker": ("handover inbox", "my deadlines", "case list"),
        "guide": ("case list", "apartments"),
        "steering": ("steering dashboard", "steering reports"),
        "auditor": ("access log", "audit start"),
    }.items():
        seen = [p for p in pages if figures["pages"].get(p, {}).get("requests")]
        assert seen, f"no page of the {role}'s session: {sorted(figures['pages'])}"
    for row in figures["pages"].values():
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert [s["people"] for s in figures["stages"]] == [5]
    assert figures["stages"][0]["rate_per_s"] > 0
    assert figures["throughput_per_s"] > 0
    assert "Saturation point" in (out / "load-demo.md").read_text()
    # The access-log append was measured in the server (BOKVAR_AUDIT_TIMING_FILE): the
    # pages above record reads, so there are appends with their lock wait and hold.
    log = figures["access_log"]
    assert log["appends"] > 0 and log["entries"] >= log["appends"]
    assert 0 < log["hold"]["p50_ms"] <= log["hold"]["p95_ms"]
    assert 0 < log["share_of_request_time"] < 1
    assert figures["database"]["samples"] > 0
    assert "The access-log append under this load" in (out / "load-demo.md").read_text()
