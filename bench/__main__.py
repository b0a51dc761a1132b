"""Run the benchmarks against the database in DATABASE_URL (PostgreSQL):

    DATABASE_URL=postgres://... python manage.py seed_demo --scale city
    DATABASE_URL=postgres://... python -m bench --scale city

Prints a table and writes bench/results/<scale>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import django


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", default="city", choices=["district", "city", "national"])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default="", help="Run scenarios whose name contains this text.")
    parser.add_argument("--out", default="")
    parser.add_argument("--allow-sqlite", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from django.conf import settings
    from django.db import connection

    from .runner import measure
    from .scenarios import builders

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        print("The benchmarks run against PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    results = []
    print(
        f"{'scenario':58} {'median':>9} {'p95':>9} {'queries':>7} {'floor':>8} {'ratio':>6} {'rate/s':>9}  ok"
    )
    for build in builders:
        for scenario in build(args.scale):
            if args.only and args.only not in scenario.name:
                continue
            result = measure(scenario, repeat=args.repeat)
            if hasattr(scenario, "finish"):
                scenario.finish()
            results.append(result)
            print(
                f"{result.name[:58]:58} {result.median_ms:9.2f} {result.p95_ms:9.2f} {result.queries:7d} "
                f"{result.floor_ms if result.floor_ms is not None else '':>8} "
                f"{result.ratio_to_floor if result.ratio_to_floor is not None else '':>6} "
                f"{result.rate_per_s if result.rate_per_s is not None else '':>9}  "
                f"{'yes' if result.within_budget else 'NO'}"
            )
    out = Path(args.out or Path(__file__).parent / "results" / f"{args.scale}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [r.as_dict() for r in results]
    if args.only and out.exists():
        # A partial run updates its scenarios and keeps the others' last results.
        fresh = {row["name"] for row in rows}
        kept = [r for r in json.loads(out.read_text())["results"] if r["name"] not in fresh]
        rows = kept + rows
    out.write_text(json.dumps({"scale": args.scale, "results": rows}, indent=2))
    print(f"Results written to {out}")
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
