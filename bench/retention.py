"""Retention's throughput (issue 17): how many people per second a run dates and culls.

    DATABASE_URL=postgres://... python -m bench.retention --scale city

Run against data from `seed_demo --scale …` (make bench-data). The run is timed as if
it were `RETENTION_YEARS + 1` years from now, so everyone is past the period but the
research and legal-hold exceptions, and is rolled back at the end: the data stays for the
next measurement. (Inside that one transaction each batch is a savepoint, not a commit:
a real run also pays one commit per batch of 500 people, a few milliseconds each.)
Prints the plan's time (dating everyone), the cull's (the run reuses that plan instead
of dating everyone a second time), people per second and the machine's load; writes
bench/results/retention-<scale>.json. `--limit N` culls only the first N people due (a
sample of the run, for a quick figure on a large database).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import timedelta
from pathlib import Path


class _Rollback(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retention")
    parser.add_argument("--scale", default="city")
    parser.add_argument("--batch-size", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="cull only the first N due")
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
    people = Person.objects.count()
    result: dict[str, object] = {"scale": args.scale, "people": people, "batch_size": batch}
    try:
        with transaction.atomic():
            start = time.perf_counter()
            plan = retention.plan(later)
            result["plan_s"] = round(time.perf_counter() - start, 2)
            result["due"] = len(plan.cull)
            if args.limit:
                plan.cull = plan.cull[: args.limit]
            retention.plan = lambda now=None: plan  # the run culls what was just dated
            start = time.perf_counter()
            done = retention.apply(dry_run=False, now=later, batch_size=batch)
            apply_s = time.perf_counter() - start
            result["apply_s"] = round(apply_s, 2)
            result["culled"] = len(done.cull)
            result["left"] = Person.objects.count()
            result["counts"] = done.counts
            raise _Rollback
    except _Rollback:
        pass
    result["people_per_s"] = round(len(done.cull) / apply_s, 1)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    keys = ("people", "due", "plan_s", "apply_s", "culled", "left", "people_per_s", "load_average")
    for key in keys:
        print(f"{key:>14}: {result[key]}")
    out = Path(__file__).parent / "results" / f"retention-{args.scale}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"Results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
