"""`python -m bench.load.run --scale city --users 60 --duration 300`: the load test.

1. prepares the accounts (bench/load/prepare.py) in the database of DATABASE_URL;
2. starts gunicorn on 127.0.0.1 only (a free port of BOKVAR_LOAD_PORTS), the way
   README's production steps do (`--workers 3` on two cores), in the production
   configuration (DEBUG off, bench/production.py; `--debug` for the development one);
3. runs locust headless (bench/load/locustfile.py) with a stepped ramp: the number of
   people rises in LOAD steps to --users over --duration seconds, bounded by
   --max-requests too;
4. writes p50/p95/p99 per page, throughput and error rate, and each stage's rate and
   p95, to bench/results/load-<scale>.json and .md (a copy in docs/bench-results/
   with --publish), and the saturation point: the highest stage rate whose p95 stayed
   under 300 ms with no error;
5. measures the access-log append under the load (issue 22, point 3): gunicorn runs
   with BOKVAR_AUDIT_TIMING_FILE, so every append writes the time it waited for the
   chain's lock and held it (audit/chain.py), and a sampler reads pg_stat_activity and
   pg_locks every half second for sessions waiting on that lock. Both are summarised
   overall and per stage in the results.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
PUBLISHED = ROOT / "docs" / "bench-results"
P95_LIMIT_MS = 300.0
PASSWORD = "bokvar-demo"  # seed_demo's default, which `make bench-data` uses


def precompute_dashboards(plan: dict) -> int:
    """In production Celery beat keeps every district's quick periods pre-computed
    (steering.refresh_statistics every 20 minutes); the load test runs no beat. It
    pre-computes what its steering people read (their district's quick periods, the
    dashboard's default among them) instead of every district: at national scale a first
    refresh of all 38 districts took most of an hour on the shared machine."""
    from django.http import Http404
    from django.utils import timezone

    from bokvar.models import User
    from steering import selectors, snapshots, stats

    names = [a["username"] for a in plan["accounts"].get("steering", [])]
    districts = set()
    for user in User.objects.filter(username__in=names):
        try:
            districts.add(selectors.district_for_user(user))
        except Http404:  # a steering account with no district: its dashboard is a 404
            continue
    made = 0
    for district in sorted(districts, key=lambda d: d.pk):
        tables = snapshots.published_tables(district)
        for period in snapshots.quick_periods(timezone.localdate()):
            stats.build_report(district=district, period=period, tables=tables)
            made += 1
    return made


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def port_range(ports: str) -> range:
    """ "8900-8999" (or one port, "8900") as a range."""
    first, _, last = ports.partition("-")
    return range(int(first), int(last or first) + 1)


def free_port(ports: str | Sequence[int], what: str = "the load test's server") -> int:
    """The first port of `ports` ("8900-8999", or the ports themselves) free on
    127.0.0.1 (the test servers use it too: tests/live_http.py)."""
    for port in port_range(ports) if isinstance(ports, str) else ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port in {ports} for {what}")


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
    for people, (start, end) in zip(steps, _stage_windows(steps, step_seconds), strict=True):
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


def _stage_windows(steps: list[int], step_seconds: float) -> list[tuple[float, float]]:
    return [
        (i * step_seconds + step_seconds / 2, (i + 1) * step_seconds) for i in range(len(steps))
    ]


def read_appends(path: Path, started: float) -> list[tuple[float, float, float, int, bool]]:
    """The server's lines (audit/chain.py _write_timing): (seconds since locust started,
    ms waiting for the chain's lock, ms holding it, entries, inside a caller's
    transaction)."""
    rows: list[tuple[float, float, float, int, bool]] = []
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) != 5:
            continue
        at = float(parts[0]) - started
        if at >= 0:
            rows.append((at, float(parts[1]), float(parts[2]), int(parts[3]), parts[4] == "1"))
    return rows


def _spread(values: list[float]) -> dict:
    return {
        "p50_ms": round(percentile(values, 0.50), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(max(values, default=0.0), 2),
    }


def analyse_appends(
    appends: list, events: list[list], *, steps: list[int], step_seconds: float
) -> dict:
    """The access-log append under the load: how long appends waited for the chain's
    lock and held it, how often, and their share of the time the pages took."""
    duration = max((e[0] for e in events), default=0.0) or 1.0
    request_ms = sum(e[2] for e in events)
    in_lock_ms = sum(wait + hold for _, wait, hold, _, _ in appends)
    stages = []
    for people, (start, end) in zip(steps, _stage_windows(steps, step_seconds), strict=True):
        rows = [a for a in appends if start <= a[0] < end]
        stages.append(
            {
                "people": people,
                "appends_per_s": round(len(rows) / (end - start), 2),
                "wait_p95_ms": round(percentile([a[1] for a in rows], 0.95), 2),
                "hold_p95_ms": round(percentile([a[2] for a in rows], 0.95), 2),
                # Busy share of the lock: held time over the window (1.0 = always held).
                "lock_busy": round(sum(a[2] for a in rows) / 1000 / (end - start), 3),
            }
        )
    return {
        "appends": len(appends),
        "entries": sum(a[3] for a in appends),
        "appends_per_s": round(len(appends) / duration, 2),
        "inside_a_transaction": sum(1 for a in appends if a[4]),
        "wait": _spread([a[1] for a in appends]),
        "hold": _spread([a[2] for a in appends]),
        "share_of_request_time": round(in_lock_ms / request_ms, 4) if request_ms else 0.0,
        "wait_share_of_request_time": (
            round(sum(a[1] for a in appends) / request_ms, 4) if request_ms else 0.0
        ),
        "stages": stages,
    }


# Sessions of this database: active ones, those waiting for the access-log chain's
# advisory lock (audit.chain.ADVISORY_LOCK_KEY, a bigint key: classid 0, objid the key),
# any lock wait, and waits on the write-ahead log (the commit's flush).
WAITERS_SQL = """
SELECT
  (SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()),
  (SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
    WHERE d.datname = current_database() AND l.locktype = 'advisory'
      AND l.classid = 0 AND l.objid = %s AND NOT l.granted),
  (SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock'),
  (SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event IN ('WALSync', 'WALWrite', 'WALInsert')),
  (SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity
    WHERE datname = current_database() AND backend_type = 'client backend'
      AND pid <> pg_backend_pid())
"""


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU a process has used (Linux /proc), None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                out.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    return out


class CpuMeter:
    """CPU used by a group of processes over the run: for each process the difference
    between the first and the last reading (a process first seen later started during
    the run and counts from zero). What a process used after the last reading, half a
    second at most, is not counted."""

    def __init__(self) -> None:
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.readings = 0
        self.series: list[tuple[float, float]] = []  # (wall time, seconds used so far)

    def read(self, pids) -> None:
        for pid in pids:
            used = cpu_seconds(pid)
            if used is None:
                continue
            self.first.setdefault(pid, used if self.readings == 0 else 0.0)
            self.last[pid] = used
        self.readings += 1
        self.series.append((time.time(), self.seconds()))

    def between(self, start: float, end: float) -> float:
        """Seconds used between two wall times (the readings nearest inside them)."""
        inside = [used for t, used in self.series if start <= t <= end]
        return round(inside[-1] - inside[0], 2) if len(inside) > 1 else 0.0

    def seconds(self) -> float:
        return round(sum(self.last[p] - self.first[p] for p in self.last), 2)


class WaitSampler(threading.Thread):
    """Samples the database every `every` seconds while the load runs."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[tuple[float, int, int, int, int]] = []
        self.started = time.time()
        self._halt = threading.Event()
        # CPU of the web workers, of this database's sessions and of locust: what a page
        # costs each, whatever else shares the machine (for docs/performance.md's sizing).
        self.server_pid = 0
        self.locust_pid = 0
        self.web, self.database, self.locust = CpuMeter(), CpuMeter(), CpuMeter()

    def run(self) -> None:
        from django.db import connection

        from audit.chain import ADVISORY_LOCK_KEY

        try:
            with connection.cursor() as cursor:
                while not self._halt.wait(self.every):
                    cursor.execute(WAITERS_SQL, [ADVISORY_LOCK_KEY])
                    *counts, backends = cursor.fetchone()
                    self.samples.append((time.time(), *counts))
                    self.database.read(backends)
                    if self.server_pid:
                        self.web.read(children(self.server_pid))
                    if self.locust_pid:
                        self.locust.read([self.locust_pid])
        finally:
            connection.close()

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def analyse_waiters(
    samples: list, started: float, *, steps: list[int], step_seconds: float
) -> dict:
    rows = [(t - started, *rest) for t, *rest in samples if t >= started]

    def summary(part: list) -> dict:
        n = len(part) or 1
        return {
            "samples": len(part),
            "active_mean": round(sum(r[1] for r in part) / n, 2),
            "chain_lock_waiters_mean": round(sum(r[2] for r in part) / n, 3),
            "chain_lock_waiters_max": max((r[2] for r in part), default=0),
            "samples_with_a_chain_lock_waiter": round(sum(1 for r in part if r[2]) / n, 3),
            "lock_waiters_max": max((r[3] for r in part), default=0),
            "wal_waiters_mean": round(sum(r[4] for r in part) / n, 3),
        }

    stages = []
    for people, (start, end) in zip(steps, _stage_windows(steps, step_seconds), strict=True):
        stages.append({"people": people, **summary([r for r in rows if start <= r[0] < end])})
    return {"every_s": 0.5, **summary(rows), "stages": stages}


def cpu_per_request(
    sampler: WaitSampler, events: list, started: float, *, steps: list[int], step_seconds: float
) -> dict:
    """CPU a request costs the web workers, PostgreSQL and locust: over the whole run
    (sign-ins included) and in each stage's second half (pages only, as the stages)."""
    n = len(events) or 1
    meters = {"web": sampler.web, "database": sampler.database, "locust": sampler.locust}
    out: dict = {}
    for name, meter in meters.items():
        out[f"{name}_s"] = meter.seconds()
        out[f"{name}_ms_per_request"] = round(1000 * meter.seconds() / n, 1)
    stages = []
    for people, (start, end) in zip(steps, _stage_windows(steps, step_seconds), strict=True):
        requests = sum(1 for e in events if start <= e[0] < end) or 1
        row: dict = {"people": people}
        for name, meter in meters.items():
            used = meter.between(started + start, started + end)
            row[f"{name}_ms_per_request"] = round(1000 * used / requests, 1)
            row[f"{name}_cores"] = round(used / (end - start), 2)
        stages.append(row)
    out["stages"] = stages
    return out


def markdown(result: dict) -> str:
    lines = [
        f"# Load test, {result['scale']} scale ({result['finished']})",
        "",
        f"{result['people']} people at most, {result['duration_s']} s, gunicorn "
        f"{result['workers']} workers, "
        f"{'DEBUG on (development)' if result.get('debug') else 'DEBUG off (production)'}; "
        f"machine: {result['cores']} cores, load average "
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
    if cpu := result.get("cpu"):
        lines += [
            "",
            f"CPU used over the run (Linux /proc, every 0.5 s): web workers {cpu['web_s']} s "
            f"({cpu['web_ms_per_request']} ms a request), this database's sessions "
            f"{cpu['database_s']} s ({cpu['database_ms_per_request']} ms a request), locust "
            f"{cpu['locust_s']} s ({cpu['locust_ms_per_request']} ms a request), sign-ins "
            "included. In each stage's second half (its people have signed in), per request and in cores:",
            "",
            "| people | web ms | database ms | locust ms | web cores | database cores "
            "| locust cores |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for st in cpu["stages"]:
            lines.append(
                f"| {st['people']} | {st['web_ms_per_request']} | "
                f"{st['database_ms_per_request']} | {st['locust_ms_per_request']} | "
                f"{st['web_cores']} | {st['database_cores']} | {st['locust_cores']} |"
            )
    lines += appends_markdown(result)
    return "\n".join(lines) + "\n"


def appends_markdown(result: dict) -> list[str]:
    log, db = result.get("access_log"), result.get("database")
    if not log or not db:
        return []
    wait, hold = log["wait"], log["hold"]
    lines = [
        "",
        "## The access-log append under this load",
        "",
        f"{log['appends']} appends ({log['entries']} entries, {log['appends_per_s']}/s; "
        f"{log['inside_a_transaction']} inside a caller's transaction). Waiting for the "
        f"chain's lock: p50 {wait['p50_ms']} ms, p95 {wait['p95_ms']} ms, p99 "
        f"{wait['p99_ms']} ms, max {wait['max_ms']} ms. Holding it (to the commit's "
        f"flush): p50 {hold['p50_ms']} ms, p95 {hold['p95_ms']} ms, p99 {hold['p99_ms']} "
        f"ms. Share of the pages' time spent in the append: "
        f"{log['share_of_request_time']:.2%} (waiting alone "
        f"{log['wait_share_of_request_time']:.2%}).",
        "",
        f"Database sampled every {db['every_s']} s ({db['samples']} samples): active "
        f"sessions {db['active_mean']} on average; sessions waiting for the chain's lock "
        f"{db['chain_lock_waiters_mean']} on average, {db['chain_lock_waiters_max']} at "
        f"most, at least one in {db['samples_with_a_chain_lock_waiter']:.1%} of samples; "
        f"waiting on the write-ahead log {db['wal_waiters_mean']} on average.",
        "",
        "| people | appends/s | wait p95 ms | hold p95 ms | lock busy | waiters mean | waiters max |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for a, d in zip(log["stages"], db["stages"], strict=True):
        lines.append(
            f"| {a['people']} | {a['appends_per_s']} | {a['wait_p95_ms']} | "
            f"{a['hold_p95_ms']} | {a['lock_busy']:.1%} | {d['chain_lock_waiters_mean']} | "
            f"{d['chain_lock_waiters_max']} |"
        )
    return lines


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
    accounts: int = 0,
    debug: bool = False,
) -> dict:
    from bench.production import set_up_django

    # Production (DEBUG off) unless asked: the server, this process and locust alike.
    set_up_django(debug=debug)
    from bench.load.prepare import prepare

    out_dir.mkdir(parents=True, exist_ok=True)
    people = ramp(users, steps)
    step_seconds = duration / len(people)
    work = Path(tempfile.mkdtemp(prefix="bokvar-load-"))
    plan = work / "plan.json"
    # Signing in costs a password hash (PBKDF2, about half a second of a core): with
    # --accounts, the people of a role beyond that many share its accounts' sessions
    # (second tabs), so that the ramp measures pages rather than a burst of sign-ins.
    prepared = prepare(
        per_role=min(max(people), accounts or max(people)), password=password, out=plan
    )
    if refresh:
        precompute_dashboards(prepared)

    port = free_port(os.environ.get("BOKVAR_LOAD_PORTS", "8900-8999"))
    appends_file = work / "audit-timing.txt"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "BOKVAR_AUDIT_TIMING_FILE": str(appends_file)}
    server_log = work / "gunicorn.log"
    load_before = load_average()
    with open(server_log, "wb") as log:
        server = subprocess.Popen(
            # Without DEBUG, bokvar.wsgi refuses the development keys the benchmark data
            # is encrypted with: bench.load.wsgi is the same application without that
            # refusal, and with cookies that travel over plain HTTP (bench/load/settings.py).
            [sys.executable, "-m", "gunicorn",
             "bokvar.wsgi:application" if debug else "bench.load.wsgi:application",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    sampler = WaitSampler()
    try:
        wait_for(port, server, server_log)
        # Every worker imports its modules on its first request: warm them before timing.
        for _ in range(workers * 2):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=60).read()
        sampler.start()
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
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench/load/locustfile.py"),
             "--headless", "--host", f"http://127.0.0.1:{port}", "--only-summary",
             "--run-time", f"{int(duration) + 5}s", "--stop-timeout", "10",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=locust_env,
        )  # fmt: skip
        sampler.server_pid, sampler.locust_pid = server.pid, locust.pid
        try:
            locust.wait(duration + 120)
        except subprocess.TimeoutExpired:
            locust.kill()
            locust.wait(10)
        sampler.stop()
        recorded = json.loads(events_file.read_text())
        events, started = recorded["events"], recorded["started"]
    finally:
        if sampler.is_alive():
            sampler.stop()
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
        # Which configuration was measured: production (False) or development.
        "debug": debug,
        "think_s": think,
        "dashboard_precomputed": refresh,
        "accounts_per_role": {role: len(a) for role, a in prepared["accounts"].items()},
        "cores": os.cpu_count(),
        "load_before": load_before,
        "load_after": load_average(),
        **analyse(events, steps=people, step_seconds=step_seconds),
        "access_log": analyse_appends(
            read_appends(appends_file, started), events, steps=people, step_seconds=step_seconds
        ),
        "database": analyse_waiters(
            sampler.samples, started, steps=people, step_seconds=step_seconds
        ),
        "cpu": cpu_per_request(sampler, events, started, steps=people, step_seconds=step_seconds),
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
        "--accounts", type=int, default=0,
        help="Accounts per role at most (more people share their sessions); 0: one each.",
    )  # fmt: skip
    parser.add_argument(
        "--equal-roles", action="store_true", help="As many people of every role (smoke runs)."
    )
    parser.add_argument(
        "--debug", action="store_true", help="Serve with DEBUG on (development), to compare."
    )
    args = parser.parse_args(argv)
    result = run(
        scale=args.scale, users=args.users, duration=args.duration, steps=args.steps,
        workers=args.workers, max_requests=args.max_requests, think=args.think,
        publish=args.publish, out_dir=args.out, password=args.password,
        equal_roles=args.equal_roles, refresh=not args.no_refresh, accounts=args.accounts,
        debug=args.debug,
    )  # fmt: skip
    print(markdown(result))


if __name__ == "__main__":
    main()
