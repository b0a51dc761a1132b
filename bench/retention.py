"""Retention's throughput (issue 17): how many people per second a run dates and culls.

    DATABASE_URL=postgres://... python -m bench.retention --scale city [--commit]

Run against data from `seed_demo --scale …` (make bench-data). The run is timed as if
it were `RETENTION_YEARS + 1` years from now, so everyone is past the period but the
research and legal-hold exceptions. By default it is rolled back at the end, so the data
stays for the next measurement; inside that one transaction each batch is a savepoint,
not a commit, and the batches run one after the other (other connections would not see
the transaction's rows). `--commit` runs retention for real, as the nightly task does:
batches commit as they go, `--workers` of them at once on their own connections. It
deletes everyone due: only on a copy of the data (`createdb -T`).
Prints the plan's time (dating everyone), the cull's (the run reuses that plan instead
of dating everyone a second time), people per second, the CPU time of this process and
of the database's backends serving it, and the machine's load; writes
bench/results/retention-<scale>.json. `--limit N` culls only the first N people due (a
sample of the run, for a quick figure on a large database).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path


class _Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retention")
    parser.add_argument("--scale", default="city")
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="cull only the first N due")
    parser.add_argument(
        "--commit", action="store_true", help="really cull (on a copy of the data only)"
    )
    parser.add_argument("--workers", type=int, default=0, help="batches at once (--commit)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
    os.environ.setdefault("DEBUG", "1")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone

    from audit import retention
    from cases.models import Person

    if connection.vendor != "postgresql":
        print("The benchmarks run against PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    later = timezone.now() + timedelta(days=366 * (settings.RETENTION_YEARS + 1))
    batch = args.batch_size or retention.BATCH_SIZE
    workers = (args.workers or retention.WORKERS) if args.commit else 1
    people = Person.objects.count()
    result: dict[str, object] = {
        "scale": args.scale,
        "people": people,
        "batch_size": batch,
        "workers": workers,
        "committed": args.commit,
    }
    planned = retention.plan

    def timed_plan(now=None):
        start = time.perf_counter()
        plan = planned(now)
        result["plan_s"] = round(time.perf_counter() - start, 2)
        result["due"] = len(plan.cull)
        if args.limit:
            plan.cull = plan.cull[: args.limit]
        return plan

    retention.plan = timed_plan
    backends = _BackendCpu(settings.DATABASES["default"]["NAME"])
    cpu = time.process_time()
    start = time.perf_counter()
    try:
        with transaction.atomic() if not args.commit else _nothing():
            done = retention.apply(dry_run=False, now=later, batch_size=batch, workers=workers)
            total_s = time.perf_counter() - start
            result["left"] = Person.objects.count()
            if not args.commit:
                raise _Rollback
    except _Rollback:
        pass
    result["cpu_s_python"] = round(time.process_time() - cpu, 1)
    result["cpu_s_postgres"] = round(backends.stop(), 1)
    apply_s = total_s - float(result["plan_s"])  # type: ignore[arg-type]
    result["apply_s"] = round(apply_s, 2)
    result["total_s"] = round(total_s, 2)
    result["culled"] = len(done.cull)
    result["counts"] = done.counts
    result["people_per_s"] = round(len(done.cull) / apply_s, 1)
    result["people_per_s_whole_run"] = round(len(done.cull) / total_s, 1)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    keys = (
        "people",
        "due",
        "workers",
        "plan_s",
        "apply_s",
        "total_s",
        "culled",
        "left",
        "people_per_s",
        "people_per_s_whole_run",
        "cpu_s_python",
        "cpu_s_postgres",
        "load_average",
    )
    for key in keys:
        print(f"{key:>22}: {result[key]}")
    out = Path(__file__).parent / "results" / f"retention-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Results written to {out}")
    return 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


class _BackendCpu:
    """CPU time of the PostgreSQL backends serving `database` (when the server runs on
    this machine): each backend's user and system time, read from /proc twice a second
    until it ends, summed. On a shared machine the wall time is mostly waiting for a
    core; this is the work itself."""

    def __init__(self, database: str) -> None:
        self.marker = f" {database} "
        self.seen: dict[str, float] = {}
        self.done = threading.Event()
        self.tick = os.sysconf("SC_CLK_TCK")
        self._sample()
        self.before = dict(self.seen)  # backends already open: only their time from now
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self) -> None:
        while not self.done.wait(0.5):
            self._sample()

    def _sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if not command.startswith("postgres:") or self.marker not in command:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[entry.name] = (int(fields[11]) + int(fields[12])) / self.tick

    def stop(self) -> float:
        self._sample()
        self.done.set()
        return sum(self.seen.values()) - sum(self.before.values())


if __name__ == "__main__":
    sys.exit(main())
