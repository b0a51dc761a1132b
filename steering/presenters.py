"""Turn a stored or fresh report (plain JSON) into what a page shows: translated
labels, formatted changes and a chart per figure. Numbers are never recomputed
here, so a frozen report looks exactly as it did."""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from . import charts


def tr(text: str) -> str:
    # Labels are stored as English source texts; unit names have no translation and pass through.
    return _(text) if text else ""


def signed_percent(value: float | None) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number_format(abs(value), 1)} %"


def present(report: dict) -> list[dict]:
    figures = []
    for index, figure in enumerate(report.get("figures", [])):
        columns = [tr(c["label"]) for c in figure["columns"]]
        title = tr(figure["title"])
        comparison = [
            {
                **row,
                "column": columns[i],
                "previous_change_text": signed_percent(row["previous_change"]),
                "year_change_text": signed_percent(row["year_change"]),
                "share_text": "–"
                if row.get("share") is None
                else f"{number_format(row['share'], 0 if isinstance(row['share'], int) else 1)} %",
            }
            for i, row in enumerate(figure["comparison"])
        ]
        figures.append(
            {
                "key": figure["key"],
                "anchor": f"figure-{index}",
                "title": title,
                "description": tr(figure["description"]),
                "goal": tr(figure.get("goal", "")),
                "money": figure["kind"] == "money",
                "shares": any("share" in row for row in figure["comparison"])
                and len(figure["comparison"]) > 1
                and figure["columns"][-1]["key"] == "total",
                "columns": columns,
                "rows": [row_label(row) for row in figure["rows"]],
                "total": {"label": tr(figure["total"]["label"]), "cells": figure["total"]["cells"]},
                "unassigned": {
                    "label": tr(figure["unassigned"]["label"]),
                    "cells": figure["unassigned"]["cells"],
                }
                if figure.get("unassigned")
                else None,
                "comparison": comparison,
                "chart": charts.bar_chart(
                    figure, chart_id=f"chart-{index}", title=title, columns=columns
                ),
            }
        )
    return figures


def page_context(report: dict) -> dict:
    return {
        "report": report,
        "figures": present(report),
        "legend": charts.legend(),
        "pattern_defs": charts.pattern_defs(),
        "series": charts.series_labels(),
    }


def row_label(row: dict) -> dict:
    """Unit names pass as they are; the row of what no unit answers for yet and the
    receiving side of a pair of units are stored as English source texts."""
    if row.get("pair"):
        return {**row, "label": f"{row['pair'][0]} → {tr(row['pair'][1])}"}
    if row.get("unassigned"):
        return {**row, "label": tr(row["label"])}
    return row
