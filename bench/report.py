"""Print benchmark results as Markdown tables (for docs/performance.md):

python -m bench.report city national
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _num(value) -> str:
    return "–" if value is None else f"{value:,}"


def table(scale: str) -> str:
    results = json.loads((RESULTS / f"{scale}.json").read_text())["results"]
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


if __name__ == "__main__":
    for scale in sys.argv[1:] or ["city"]:
        print(f"### {scale}\n\n{table(scale)}\n")
