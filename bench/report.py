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

PUBLISHED = Path(__file__).resolve().parent.parent / "docs" / "bench-results"


def _num(value) -> str:
    return "–" if value is None else f"{value:,}"


def table(scale: str, folder: Path = PUBLISHED) -> str:
    results = json.loads((folder / f"{scale}.json").read_text())["results"]
    lines = [
        "| scenario | median ms | p95 ms | queries | floor ms | ratio | rate/s | budget | met |",
        "|---|---|---|---|---|---|---|---|---|",
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
        lines.append(
            f"| {r['name']} | {_num(r['median_ms'])} | {_num(r['p95_ms'])} | {queries} | "
            f"{_num(r['floor_ms'])} | {_num(r['ratio_to_floor'])} | {_num(r['rate_per_s'])} | "
            f"{budget} | {met} |"
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
