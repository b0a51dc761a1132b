"""Print benchmark results as Markdown tables (for docs/performance.md).

`python -m bench.report city national` prints the published results, the tracked
docs/bench-results/<scale>.json that `python -m bench --publish` writes;
`python -m bench.report --from bench/results city` prints your own last run (a plain
run writes bench/results/, which is not tracked).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .floors import MAX_QUERIES, MAX_RATIO

PUBLISHED = Path(__file__).resolve().parent.parent / "docs" / "bench-results"


def _num(value) -> str:
    return "–" if value is None else f"{value:,}"


def table(scale: str, folder: Path = PUBLISHED) -> str:
    results = json.loads((folder / f"{scale}.json").read_text())["results"]
    lines = [
        "| scenario | median ms | p95 ms | queries | SQL floor ms | × SQL floor "
        "| framework floor ms | × framework floor | rate/s | budget | met |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r["budget_ms"]:
            budget = f"p95 ≤ {r['budget_ms']:g} ms"
        elif r["min_rate"]:
            budget = f"≥ {r['min_rate']:,}/s"
        else:
            budget = "–"
        queries = r["queries"] if r["queries"] >= 0 else "–"
        met = "yes" if r["within_budget"] else "**no**"
        framework = r.get("framework_floor_ms")
        ratio = r.get("ratio_to_framework_floor")
        if framework is not None:
            # Pages: marked where they exceed issue 22's limits (queries, ratio).
            per_request = r.get("queries_per_request")
            if per_request is not None and per_request != r["queries"]:
                queries = f"{queries} ({per_request} per request)"
            if (per_request if per_request is not None else r["queries"]) > MAX_QUERIES:
                queries = f"**{queries}**"
            ratio = f"{ratio:,}" if ratio is not None and ratio <= MAX_RATIO else f"**{ratio}**"
        lines.append(
            f"| {r['name']} | {_num(r['median_ms'])} | {_num(r['p95_ms'])} | {queries} | "
            f"{_num(r['floor_ms'])} | {_num(r['ratio_to_floor'])} | {_num(framework)} | "
            f"{ratio if isinstance(ratio, str) else _num(ratio)} | {_num(r['rate_per_s'])} | "
            f"{budget} | {met} |"
        )
    pages = [r for r in results if r.get("near_floor") is not None]
    if pages:
        near = sum(1 for r in pages if r["near_floor"])
        lines.append(
            f"\nPages at most {MAX_QUERIES} queries and within {MAX_RATIO:g}× their framework "
            f"floor: {near} of {len(pages)} (in bold: what exceeds it)."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("scales", nargs="*", default=["city"])
    parser.add_argument("--from", dest="folder", type=Path, default=PUBLISHED)
    args = parser.parse_args(argv)
    for scale in args.scales:
        path = args.folder / f"{scale}.json"
        if not path.exists():
            print(f"No results for '{scale}' in {args.folder}: run python -m bench --publish.")
            return 1
        measured = json.loads(path.read_text()).get("measured_on", "date not recorded")
        print(f"### {scale} (measured {measured})\n\n{table(scale, args.folder)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
