"""`python -m bench.webcpu`: the web process's CPU per page, page by page (issue 22).

The load test's pages (bench/load/locustfile.py), each requested `--repeat` times by a
signed-in client of its role through Django's test client in this one process (URL
routing, every middleware, sessions, templates, the access-log append): the CPU time
of this process (`time.process_time()`, user + system) around each request, so other
work on a shared machine does not count. PostgreSQL's own CPU is not in it (another
process). The mix is weighted by how often the national load test asked for each page
(docs/bench-results/load-national.json), which gives one "web CPU per page" figure to
hold against the load test's.

Runs in the configuration of the environment: `bench.production.environment()` gives
the production one (DEBUG off) as `make bench` and `make load` use it; `--debug` keeps
DEBUG on to compare. `--profile FILE` writes a cProfile of every timed request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.test import Client

ROOT = Path(__file__).resolve().parents[1]
MIX = ROOT / "docs" / "bench-results" / "load-national.json"


def pages() -> list[tuple[str, Client, str]]:
    """(page name as the load test names it, client, url)."""
    from bokvar.models import Role
    from cases.core.selectors.cases import visible_cases, writable_cases
    from cases.models import Case, Handover, LandlordSignal

    from .scenarios import bench_auditor, first_user, signed_in_client

    coordinator, caseworker = first_user(Role.COORDINATOR), first_user(Role.CASEWORKER)
    guide, steering = first_user(Role.GUIDE), first_user(Role.STEERING)
    auditor = first_user(Role.AUDITOR) or bench_auditor()
    coordinator_c, caseworker_c = signed_in_client(coordinator), signed_in_client(caseworker)
    guide_c, steering_c, auditor_c = (
        signed_in_client(guide),
        signed_in_client(steering),
        signed_in_client(auditor),
    )
    districts = sorted({m.unit.district_id for m in coordinator.memberships.all()})
    signal = LandlordSignal.objects.filter(district_id__in=districts).order_by("-id").first()
    handover = (
        Handover.objects.filter(to_unit__memberships__user=caseworker).order_by("-id").first()
    )
    open_case = visible_cases(coordinator).filter(status=Case.Status.OPEN).order_by("-id")[0]
    night_case = writable_cases(caseworker).filter(status=Case.Status.OPEN).first()
    out = [
        ("case list", coordinator_c, "/cases/"),
        ("case page", coordinator_c, f"/cases/{open_case.pk}/"),
        ("case list: open", caseworker_c, "/cases/?status=open"),
        ("signal triage queue", coordinator_c, "/cases/signals/"),
        ("contact form", coordinator_c, f"/cases/{open_case.pk}/contacts/new/"),
        ("threat form", coordinator_c, f"/cases/{open_case.pk}/threats/new/"),
        ("handover inbox", caseworker_c, "/cases/handovers/"),
        ("my deadlines", caseworker_c, "/cases/deadlines/"),
        ("apartments", guide_c, "/housing/apartments/"),
        ("steering dashboard", steering_c, "/steering/statistics/"),
        ("steering reports", steering_c, "/steering/reports/"),
        ("access log", auditor_c, "/audit/log/"),
        ("audit start", auditor_c, "/audit/"),
    ]
    if signal is not None:
        out.append(("signal", coordinator_c, f"/cases/signals/{signal.pk}/"))
    if handover is not None:
        out.append(("handover", caseworker_c, f"/cases/handovers/{handover.pk}/"))
    if night_case is not None:
        out.append(("nights form", caseworker_c, f"/housing/cases/{night_case.pk}/nights/new/"))
    return out


def backend_cpu() -> tuple[int, float] | None:
    """(pid, user + system CPU seconds) of the PostgreSQL backend serving this process's
    default connection, read from /proc (the server on this machine), or None when
    there is none to read (SQLite, another host). Asking the backend would cost its CPU."""
    import os

    from django.db import connection

    if connection.vendor != "postgresql" or connection.connection is None:
        return None
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime, the 14th and 15th fields, the 12th and 13th after the name.
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(repeat: int, profile: str = "", only: str = "") -> dict:
    import cProfile

    # CPU time, not wall time: waiting for PostgreSQL is not the web process's cost.
    profiler = cProfile.Profile(time.process_time) if profile else None
    rows: dict[str, dict] = {}
    for name, client, url in pages():
        if only and not any(part in name for part in only.split("|")):
            continue
        for _ in range(3):  # warm: imports, template compilation, connection
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{name} {url} answered {response.status_code}")
        cpu: list[float] = []
        # The backend's CPU over all the timed requests: /proc counts it in ticks
        # (10 ms), too coarse for one request.
        pg_start = backend_cpu()
        for _ in range(repeat):
            start = time.process_time()
            if profiler is not None:
                profiler.enable()
            client.get(url)
            if profiler is not None:
                profiler.disable()
            cpu.append((time.process_time() - start) * 1000)
        pg_end = backend_cpu()
        rows[name] = {
            "url": url,
            "cpu_ms_median": round(statistics.median(cpu), 2),
            "cpu_ms_mean": round(statistics.fmean(cpu), 2),
            # None when the requests did not all use one backend (a closed connection).
            "pg_ms_mean": (
                round((pg_end[1] - pg_start[1]) * 1000 / repeat, 2)
                if pg_start and pg_end and pg_start[0] == pg_end[0]
                else None
            ),
        }
    if profiler is not None:
        profiler.dump_stats(profile)
    return rows


def weighted(rows: dict, field: str = "cpu_ms_mean") -> float | None:
    """The pages' mean CPU weighted by the national load test's requests per page."""
    if not MIX.exists() or any(row[field] is None for row in rows.values()):
        return None
    counts = {name: page["requests"] for name, page in json.loads(MIX.read_text())["pages"].items()}
    total = sum(counts.get(name, 0) for name in rows)
    if not total:
        return None
    return round(sum(row[field] * counts.get(name, 0) for name, row in rows.items()) / total, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webcpu")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--debug", action="store_true", help="Keep DEBUG on (development).")
    parser.add_argument("--profile", default="", help="Write a cProfile of the timed requests.")
    parser.add_argument("--only", default="", help="Pages whose name contains this (a|b).")
    parser.add_argument("--json", default="", help="Also write the figures to this file.")
    args = parser.parse_args(argv)

    from .production import set_up_django

    set_up_django(debug=args.debug)
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    rows = measure(args.repeat, args.profile, args.only)
    mix = weighted(rows)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"DEBUG={settings.DEBUG}  load average {load}  repeat {args.repeat}")
    print(f"{'page':24} {'median ms':>10} {'mean ms':>9} {'PostgreSQL ms':>14}")
    for name, row in rows.items():
        pg = "-" if row["pg_ms_mean"] is None else f"{row['pg_ms_mean']:.2f}"
        print(f"{name:24} {row['cpu_ms_median']:10.2f} {row['cpu_ms_mean']:9.2f} {pg:>14}")
    print(f"weighted by the load test's mix: {mix} ms CPU a page")
    if (pg_mix := weighted(rows, "pg_ms_mean")) is not None:
        print(f"PostgreSQL's backend, weighted alike: {pg_mix} ms CPU a page")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "debug": settings.DEBUG,
                    "load": load,
                    "mix_ms": mix,
                    "pg_mix_ms": weighted(rows, "pg_ms_mean"),
                    "pages": rows,
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
