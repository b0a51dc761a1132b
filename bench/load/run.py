"""`python -m bench.load.run --scale city --users 60 --duration 300`: the load test.

1. prepares the accounts (bench/load/prepare.py) in the database of DATABASE_URL;
2. starts gunicorn on 127.0.0.1 only (a free port of BOKVAR_LOAD_PORTS), the way
   README's production steps do (`--workers 3` on two cores);
3. runs locust headless (bench/load/locustfile.py) with a stepped ramp: the number of
   people rises in LOAD steps to --users over --duration seconds, bounded by
   --max-requests too;
4. writes p50/p95/p99 per page, throughput and error rate, and each stage's rate and
   p95, to bench/results/load-<scale>.json and .md (a copy in docs/bench-results/
   with --publish), and the saturation point: the highest stage rate whose p95 stayed
   under 300 ms with no error.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
PUBLISHED = ROOT / "docs" / "bench-results"
P95_LIMIT_MS = 300.0
PASSWORD = "bokvar-demo"  # seed_demo's default, which `make bench-data` uses


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def free_port(ports: str) -> int:
    first, _, last = ports.partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {ports} for the load test's server")


def ramp(users: int, steps: int) -> list[int]:
    return sorted({max(1, round(users * (i + 1) / steps)) for i in range(steps)})


def analyse(events: list[list], *, steps: list[int], step_seconds: float) -> dict:
    """Per page and per stage. A stage's figures are taken from its second half, once
    the people it added have signed in and settled into their rhythm."""
    pages: dict[str, list] = {}
    for _t, name, ms, failed in events:
        pages.setdefault(name, []).append((ms, failed))
    per_page = {
        name: {
            "requests": len(rows),
            "errors": sum(1 for _, f in rows if f),
            "p50_ms": round(percentile([ms for ms, _ in rows], 0.50), 1),
            "p95_ms": round(percentile([ms for ms, _ in rows], 0.95), 1),
            "p99_ms": round(percentile([ms for ms, _ in rows], 0.99), 1),
            "failures": sorted({f for _, f in rows if f}),
        }
        for name, rows in sorted(pages.items())
    }
    stages = []
    for i, people in enumerate(steps):
        start, end = i * step_seconds + step_seconds / 2, (i + 1) * step_seconds
        # Signing in happens once a shift, not once a page: it is reported per page
        # but left out of the stages' page rate and p95.
        rows = [
            (ms, f)
            for t, name, ms, f in events
            if start <= t < end and not name.startswith("sign in")
        ]
        stages.append(
            {
                "people": people,
                "requests": len(rows),
                "rate_per_s": round(len(rows) / (end - start), 2),
                "p95_ms": round(percentile([ms for ms, _ in rows], 0.95), 1),
                "errors": sum(1 for _, f in rows if f),
            }
        )
    good = [s for s in stages if s["requests"] and not s["errors"] and s["p95_ms"] < P95_LIMIT_MS]
    duration = max((e[0] for e in events), default=0.0) or 1.0
    errors = sum(1 for e in events if e[3])
    return {
        "requests": len(events),
        "errors": errors,
        "error_rate": round(errors / len(events), 4) if events else 0.0,
        "throughput_per_s": round(len(events) / duration, 2),
        "pages": per_page,
        "stages": stages,
        "saturation_rate_per_s": max((s["rate_per_s"] for s in good), default=None),
    }


def markdown(result: dict) -> str:
    lines = [
        f"# Load test, {result['scale']} scale ({result['finished']})",
        "",
        f"{result['people']} people at most, {result['duration_s']} s, gunicorn "
        f"{result['workers']} workers; machine: {result['cores']} cores, load average "
        f"before {result['load_before']}, after {result['load_after']}.",
        "",
        f"Requests {result['requests']}, errors {result['errors']} "
        f"({result['error_rate']:.2%}), throughput {result['throughput_per_s']}/s. "
        f"**Saturation point: {result['saturation_rate_per_s']} pages/s** "
        f"(highest stage with p95 < {P95_LIMIT_MS:.0f} ms and no error).",
        "",
        "| page | requests | errors | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in result["pages"].items():
        lines.append(
            f"| {name} | {row['requests']} | {row['errors']} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {row['p99_ms']} |"
        )
    failures = [(n, f) for n, row in result["pages"].items() for f in row["failures"]]
    if failures:
        lines += ["", "Failures:", ""] + [f"- {name}: {why}" for name, why in failures]
    lines += ["", "| people | requests/s | p95 ms | errors |", "|---:|---:|---:|---:|"]
    for stage in result["stages"]:
        lines.append(
            f"| {stage['people']} | {stage['rate_per_s']} | {stage['p95_ms']} | {stage['errors']} |"
        )
    return "\n".join(lines) + "\n"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_for(port: int, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start in time") from None
            time.sleep(0.3)


def run(
    *,
    scale: str,
    users: int,
    duration: float,
    steps: int,
    workers: int,
    max_requests: int,
    think: str,
    publish: bool,
    out_dir: Path = RESULTS,
    password: str = PASSWORD,
    equal_roles: bool = False,
    refresh: bool = True,
) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
    django.setup()
    from bench.load.prepare import prepare

    out_dir.mkdir(parents=True, exist_ok=True)
    people = ramp(users, steps)
    step_seconds = duration / len(people)
    work = Path(tempfile.mkdtemp(prefix="bokvar-load-"))
    plan = work / "plan.json"
    prepare(per_role=max(people), password=password, out=plan)
    # In production Celery beat keeps the dashboard's quick periods pre-computed
    # (steering.refresh_statistics every 20 minutes); the load test runs no beat.
    # At national scale a first refresh takes most of an hour (--no-refresh skips it).
    if refresh:
        from steering.tasks import refresh_statistics

        refresh_statistics()

    port = free_port(os.environ.get("BOKVAR_LOAD_PORTS", "8900-8999"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server_log = work / "gunicorn.log"
    load_before = load_average()
    with open(server_log, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "bokvar.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(port, server, server_log)
        # Every worker imports its modules on its first request: warm them before timing.
        for _ in range(workers * 2):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=60).read()
        events_file = work / "events.json"
        locust_env = {
            **env,
            "LOAD_PLAN": str(plan),
            "LOAD_EVENTS": str(events_file),
            "LOAD_STEPS": ",".join(map(str, people)),
            "LOAD_STEP_SECONDS": str(step_seconds),
            "LOAD_MAX_REQUESTS": str(max_requests),
            "LOAD_THINK": think,
            "LOAD_EQUAL_ROLES": "1" if equal_roles else "",
        }
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/load/locustfile.py"),
             "--headless", "--host", f"http://127.0.0.1:{port}", "--only-summary",
             "--run-time", f"{int(duration) + 5}s", "--stop-timeout", "10",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=locust_env, check=False, timeout=duration + 120,
        )  # fmt: skip
        events = json.loads(events_file.read_text())
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
    result = {
        "scale": scale,
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "people": max(people),
        "duration_s": duration,
        "workers": workers,
        "think_s": think,
        "dashboard_precomputed": refresh,
        "cores": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_average(),
        **analyse(events, steps=people, step_seconds=step_seconds),
    }
    (out_dir / f"load-{scale}.json").write_text(json.dumps(result, indent=1) + "\n")
    (out_dir / f"load-{scale}.md").write_text(markdown(result))
    if publish:
        PUBLISHED.mkdir(parents=True, exist_ok=True)
        (PUBLISHED / f"load-{scale}.json").write_text(json.dumps(result, indent=1) + "\n")
        (PUBLISHED / f"load-{scale}.md").write_text(markdown(result))
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="city")
    parser.add_argument("--users", type=int, default=60, help="People at the last stage.")
    parser.add_argument("--duration", type=float, default=300, help="Seconds in all.")
    parser.add_argument("--steps", type=int, default=6, help="Stages of the ramp.")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes.")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--think", default="3,10", help="Think time between pages, s (min,max).")
    parser.add_argument("--publish", action="store_true", help="Copy to docs/bench-results/.")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Where to write the results.")
    parser.add_argument("--password", default=PASSWORD, help="The staff's password.")
    parser.add_argument(
        "--no-refresh", action="store_true", help="Do not pre-compute the dashboard first."
    )
    parser.add_argument(
        "--equal-roles", action="store_true", help="As many people of every role (smoke runs)."
    )
    args = parser.parse_args(argv)
    result = run(
        scale=args.scale, users=args.users, duration=args.duration, steps=args.steps,
        workers=args.workers, max_requests=args.max_requests, think=args.think,
        publish=args.publish, out_dir=args.out, password=args.password,
        equal_roles=args.equal_roles, refresh=not args.no_refresh,
    )  # fmt: skip
    print(markdown(result))


if __name__ == "__main__":
    main()
