"""Run the benchmarks against the database in DATABASE_URL (PostgreSQL):

    DATABASE_URL=postgres://... python manage.py seed_demo --scale city
    DATABASE_URL=postgres://... python -m bench --scale city

Prints a table and writes bench/results/<scale>.json (not tracked); with --publish
also docs/bench-results/<scale>.json, the tracked copy `python -m bench.report` and
docs/performance.md use.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from .report import PUBLISHED


def _blank(value) -> str:
    return "" if value is None else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", default="city", choices=["district", "city", "national"])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument(
        "--only",
        default="",
        help="Run scenarios whose name contains this text (alternatives separated by |).",
    )
    parser.add_argument("--out", default="")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="Also write docs/bench-results/<scale>.json (tracked, read by bench.report).",
    )
    parser.add_argument("--allow-sqlite", action="store_true")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="Measure with DEBUG on (development) instead of the production configuration.",
    )
    args = parser.parse_args()

    from .production import set_up_django

    # The production configuration (DEBUG off) unless --debug: what a page costs there
    # (bench/production.py).
    set_up_django(debug=args.debug)
    from django.conf import settings
    from django.db import connection

    from . import floors
    from .generate import settle
    from .runner import measure
    from .scenarios import builders

    if connection.vendor != "postgresql" and not args.allow_sqlite:
        print("The benchmarks run against PostgreSQL: set DATABASE_URL.", file=sys.stderr)
        return 2
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    # The pages' framework floors: a bare view, mounted in this process only.
    floors.install()
    results = []
    print(
        f"Configuration: {'development (DEBUG on)' if settings.DEBUG else 'production (DEBUG off)'}"
    )
    print(
        f"{'scenario':58} {'median':>9} {'p95':>9} {'queries':>7} {'SQL fl.':>8} {'ratio':>6} "
        f"{'fw fl.':>7} {'×fw':>5} {'rate/s':>9}  ok  near"
    )
    for build in builders:
        for scenario in build(args.scale):
            if args.only and not any(part in scenario.name for part in args.only.split("|")):
                continue
            result = measure(scenario, repeat=args.repeat)
            if hasattr(scenario, "finish"):
                scenario.finish()
            if scenario.framework_floor is None:
                # A job (it may write, and its runs are undone and redone): its dead rows
                # vacuumed before the next scenario, as autovacuum would (`settle`).
                settle()
            results.append(result)
            print(
                f"{result.name[:58]:58} {result.median_ms:9.2f} {result.p95_ms:9.2f} {result.queries:7d} "
                f"{result.floor_ms if result.floor_ms is not None else '':>8} "
                f"{result.ratio_to_floor if result.ratio_to_floor is not None else '':>6} "
                f"{_blank(result.framework_floor_ms):>7} {_blank(result.ratio_to_framework_floor):>5} "
                f"{result.rate_per_s if result.rate_per_s is not None else '':>9}  "
                f"{'yes' if result.within_budget else 'NO':3} "
                f"{'' if result.near_floor is None else 'yes' if result.near_floor else 'NO'}"
            )
    out = Path(args.out or Path(__file__).parent / "results" / f"{args.scale}.json")
    rows = [r.as_dict() for r in results]
    targets = [out] + ([PUBLISHED / f"{args.scale}.json"] if args.publish else [])
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "scale": args.scale,
            "measured_on": date.today().isoformat(),
            # Which configuration was measured: production (False) or development.
            "debug": settings.DEBUG,
            "results": rows,
        }
        if args.only and path.exists():
            # A partial run updates its scenarios and keeps the others' last results
            # (and the date they were measured on).
            previous = json.loads(path.read_text())
            document["measured_on"] = previous.get("measured_on", "")
            document["partly_updated_on"] = date.today().isoformat()
            fresh = {row["name"] for row in rows}
            document["results"] = [r for r in previous["results"] if r["name"] not in fresh] + rows
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(f"Results written to {path}")
    pages = [r for r in results if r.near_floor is not None]
    if pages:
        near = sum(1 for r in pages if r.near_floor)
        print(
            f"Pages at most {floors.MAX_QUERIES} queries and within {floors.MAX_RATIO:g}× their "
            f"framework floor: {near} of {len(pages)}."
        )
    return 0 if all(r.within_budget for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
