"""Turn a stored or fresh report (plain JSON) into what a page shows: translated labels,
Swedish number formatting, key figures, trend lines and a chart per figure. Numbers are
never recomputed here, so a stored report looks exactly as it did."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from django.core.signals import setting_changed
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import charts


def tr(text: str) -> str:
    # Labels are stored as English source texts; unit names have no translation and pass through.
    return _(text) if text else ""


def number(value, *, kind: str = "count") -> str:
    """A published number the Swedish way (in Swedish): thousand separators (a no-break
    space), a decimal comma, and "kr" after money."""
    if value is None:
        return "–"
    if isinstance(value, float) and not value.is_integer():
        text = number_format(value, 1, force_grouping=True)
    else:
        text = number_format(int(value), 0, force_grouping=True)
    return f"{text}\xa0kr" if kind == "money" else text


def shown(cell: dict, kind: str = "count") -> str:
    """What a cell shows: the number formatted, or its mark ("<5", "–")."""
    if cell.get("value") is None:
        return cell.get("display", "–")
    return number(cell["value"], kind=kind)


def signed_percent(value: float | None) -> str:
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number_format(abs(value), 1)} %"


def protection_sentences(threshold: int) -> list[str]:
    """How the figures are protected, in plain words (the page, the workbook)."""
    return [
        _(
            "No figure shows a person. A count from 1 to %(last)s is shown as “<%(n)s”; zero is "
            "shown, since it tells nothing about anyone."
        )
        % {"last": threshold - 1, "n": threshold},
        _(
            "A dash (–) marks a number hidden so that a small count cannot be worked out from "
            "the totals, and a sum of nights or money over fewer than %(n)s people."
        )
        % {"n": threshold},
        _(
            "Figures are given for whole months, quarters, years and years to date. A quarter, "
            "a year or a year to date is the sum of its months, and is shown only where every "
            "month is shown, so no two periods can be subtracted to reveal a hidden month."
        ),
        _(
            "Once shown, a month's figures do not change. Late corrections come as a new "
            "version of the monthly report, in which a number that changed by less than "
            "%(n)s is hidden, so the difference between versions reveals no one."
        )
        % {"n": threshold},
        _("Shares of a total below 1,000 are rounded to the nearest ten per cent."),
    ]


def present(report: dict) -> list[dict]:
    figures = []
    for index, figure in enumerate(report.get("figures", [])):
        columns = [tr(c["label"]) for c in figure["columns"]]
        title = tr(figure["title"])
        kind = figure["kind"]
        comparison = [
            {
                **row,
                "column": columns[i],
                "current_text": shown(row["current"], _cell_kind(figure, i)),
                "previous_text": shown(row["previous"], _cell_kind(figure, i)),
                "year_earlier_text": shown(row["year_earlier"], _cell_kind(figure, i)),
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
                "money": kind in ("money", "nights"),
                "shares": any("share" in row for row in figure["comparison"])
                and len(figure["comparison"]) > 1
                and figure["columns"][-1]["key"] == "total",
                "columns": columns,
                "rows": [_line(figure, row_label(row)) for row in figure["rows"]],
                "total": _line(figure, {**figure["total"], "label": tr(figure["total"]["label"])}),
                "unassigned": _line(
                    figure, {**figure["unassigned"], "label": tr(figure["unassigned"]["label"])}
                )
                if figure.get("unassigned")
                else None,
                "comparison": comparison,
                "chart": charts.bar_chart(
                    figure, chart_id=f"chart-{index}", title=title, columns=columns
                ),
            }
        )
    return figures


def _cell_kind(figure: dict, index: int) -> str:
    return "money" if figure["kind"] == "money" else "count"


def _line(figure: dict, line: dict) -> dict:
    cells = [
        {
            **cell,
            "text": shown(cell, _cell_kind(figure, i)),
            "people_text": number(cell["people"]) if cell.get("people") is not None else "–",
        }
        for i, cell in enumerate(line["cells"])
    ]
    return {**line, "cells": cells}


def key_figures(report: dict) -> list[dict]:
    """The goals of the steering group, each with a year earlier and its trend line."""
    trend = report.get("trend", [])
    out = []
    for index, item in enumerate(report.get("key_figures", [])):
        kind = item["kind"]
        label = tr(item["label"])
        points = [
            {"month": p["month"], **p["values"][item["key"]]}
            for p in trend
            if item["key"] in p["values"]
        ]
        entry = {
            **item,
            "label": label,
            "goal": tr(item["goal"]),
            "current_text": shown(item["current"], kind),
            "year_earlier_text": shown(item["year_earlier"], kind),
            "year_change_text": signed_percent(item["year_change"]),
            "of_text": shown(item["of"]) if item.get("of") else "",
            "of_year_earlier_text": shown(item["of_year_earlier"])
            if item.get("of_year_earlier")
            else "",
            "points": [{**p, "text": shown(p, kind)} for p in points],
            "trend": charts.trend_chart(points, chart_id=f"trend-{index}", title=label, kind=kind)
            if points
            else "",
        }
        out.append(entry)
    return out


def unit_rows(report: dict) -> tuple[list[str], list[dict]]:
    """The district's units side by side: one row per unit, one column per key figure
    (each unit's published cells; hidden ones keep their mark)."""
    figures = {f["key"]: f for f in report.get("figures", [])}
    items = report.get("key_figures", [])
    names: list[str] = []
    for item in items:
        for row in figures.get(item["figure"], {}).get("rows", []):
            if not row.get("unassigned") and not row.get("pair") and row["label"] not in names:
                names.append(row["label"])
    headers = [tr(item["label"]) for item in items]
    rows = []
    for name in names:
        cells = []
        for item in items:
            cells.append(_unit_value(figures.get(item["figure"]), name, item))
        rows.append({"label": name, "cells": cells})
    return headers, rows


def _unit_value(figure: dict | None, name: str, item: dict) -> str:
    if figure is None:
        return "–"
    row = next((r for r in figure["rows"] if r["label"] == name), None)
    if row is None:
        return "–"
    index = {c["key"]: i for i, c in enumerate(figure["columns"])}
    cells = [row["cells"][index[c]] for c in _columns_of(item)]
    if len(cells) == 1:
        return shown(cells[0], item["kind"])
    if any(c["value"] is None for c in cells):
        return "–"
    return number(sum(c["value"] for c in cells), kind=item["kind"])


def _columns_of(item: dict) -> list[str]:
    from .stats import KEY_FIGURES

    return next(columns for key, _l, _f, columns, _k, _g in KEY_FIGURES if key == item["key"])


def page_context(report: dict) -> dict:
    headers, units = unit_rows(report)
    return {
        "report": report,
        "figures": present(report),
        "key_figures": key_figures(report),
        "unit_headers": headers,
        "unit_rows": units,
        "protection": protection_sentences(report["threshold"]),
        "legend": charts.legend(),
        "pattern_defs": charts.pattern_defs(),
        "series": charts.series_labels(),
    }


# A report's parts as its pages show them, kept per process. What a part shows is a
# function of the report's numbers and the language alone (numbers are never recomputed
# here, and the parts' templates read nothing but `page_context`), so the same report in
# the same language is presented once: presenting and rendering its figures, tables and
# charts was three fifths of the dashboard's CPU (issue 22: 36 -> 14 ms a request at
# national scale, docs/performance.md).
# Keyed by a digest of the report's content, not by its period or id, so a report with one
# number changed (a new month, a correction) is presented afresh and never served from
# another's. The report holds published, suppressed statistics only, no person. Bounded;
# emptied when settings change (tests).
PARTS = {
    "key_figures": "steering/_key_figures.html",
    "units": "steering/_units.html",
    "figures": "steering/_figures.html",
}
_KEPT: OrderedDict[tuple[str, str], dict[str, SafeString]] = OrderedDict()
_MAX_KEPT = 32
_LOCK = threading.Lock()


def digest(report: dict) -> str:
    """The report's content, less the moment it was made (which no part shows)."""
    content = {key: value for key, value in report.items() if key != "generated_at"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode(), digest_size=20).hexdigest()


def parts(report: dict) -> dict[str, SafeString]:
    """The report's key figures, units side by side and detailed figures, as HTML."""
    key = (get_language() or "", digest(report))
    with _LOCK:
        kept = _KEPT.get(key)
        if kept is not None:
            _KEPT.move_to_end(key)
            return kept
    context = page_context(report)
    made = {name: SafeString(render_to_string(path, context)) for name, path in PARTS.items()}
    with _LOCK:
        _KEPT[key] = made
        while len(_KEPT) > _MAX_KEPT:
            _KEPT.popitem(last=False)
    return made


def forget(**kwargs: object) -> None:
    """Forget every kept part (a settings change; the benchmark's first requests)."""
    with _LOCK:
        _KEPT.clear()


setting_changed.connect(forget)


def row_label(row: dict) -> dict:
    """Unit names pass as they are; the row of what no unit answers for yet and the
    receiving side of a pair of units are stored as English source texts."""
    if row.get("pair"):
        return {**row, "label": f"{row['pair'][0]} → {tr(row['pair'][1])}"}
    if row.get("unassigned"):
        return {**row, "label": tr(row["label"])}
    return row


def describe_changes(data: dict) -> str:
    """What a version changed, in words, for the versions list."""
    changes = data.get("changes")
    if changes is None:
        return ""
    figures = changes.get("figures", [])
    if not figures:
        return _("No published number changed.")
    changed = sum(f["changed"] for f in figures)
    hidden = sum(f["hidden"] for f in figures)
    names = ", ".join(tr(f["title"]) for f in figures)
    parts = [
        _("%(changed)s published numbers changed, in: %(figures)s.")
        % {"changed": changed, "figures": names}
    ]
    if hidden:
        parts.append(
            _(
                "%(hidden)s numbers shown before are now hidden, because they changed by less "
                "than the threshold or would reveal such a change."
            )
            % {"hidden": hidden}
        )
    return " ".join(parts)
