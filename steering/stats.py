"""The statistics module: every anonymised figure, for a district and a period.

`build_report` asks each registered figure (see `steering.figures`) for its
per-unit numbers for the period, the previous period and the same period a year
earlier, lays them out as tables with a district total row (and a total column
where the columns are parts of a whole), and passes every table through
`steering.suppression.suppress`. What leaves this module is already suppressed:
hidden cells carry no value at all, so no page, export, API response or stored
report can show more than the published table.

The report is plain JSON (labels are the English source texts, translated when
shown), so a frozen monthly report is stored and shown exactly as it was made.
"""

from __future__ import annotations

import statistics

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from bokvar.models import District, Unit

from . import suppression
from .figures import Figure, Scope, all_figures, get
from .periods import Period

SCHEMA_VERSION = 1
HIDDEN = "<{threshold}"
SECONDARY_MARK = "–"
# The row of a district's things not yet tied to a unit (e.g. landlord signals of the
# district not yet linked to a case): a body row of the table, inside the district total.
UNASSIGNED_ROW = gettext_noop("Not yet assigned to a unit")


def threshold() -> int:
    return int(getattr(settings, "BOKVAR_STATS_THRESHOLD", 5))


def district_units(district: District) -> tuple[Unit, ...]:
    return tuple(Unit.objects.filter(district=district).order_by("name"))


def build_report(*, district: District, period: Period, limit: int | None = None) -> dict:
    """All figures for `period` in `district`, suppressed, as JSON-ready data."""
    limit = limit or threshold()
    units = district_units(district)
    periods = {
        "current": period,
        "previous": period.previous(),
        "year_earlier": period.year_earlier(),
    }
    # Labels are stored as their English source texts; pages translate them.
    with translation.override(None):
        figures = [_figure(fig, district, units, periods, limit) for fig in all_figures()]
    return {
        "schema": SCHEMA_VERSION,
        "district": district.name,
        "period": period.as_dict(),
        "previous": periods["previous"].as_dict(),
        "year_earlier": periods["year_earlier"].as_dict(),
        "threshold": limit,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "figures": figures,
    }


def _figure(fig: Figure, district, units, periods: dict[str, Period], limit: int) -> dict:
    tables = {
        name: _table(fig, Scope(district=district, units=units, period=p), limit)
        for name, p in periods.items()
    }
    current = tables["current"]
    columns = [{"key": c.key, "label": str(c.label)} for c in fig.columns]
    if fig.additive:
        columns.append({"key": "total", "label": gettext_noop("Total")})
    comparison = []
    grand = current["total"][-1]["value"] if fig.additive else None
    for index, column in enumerate(columns):
        now = current["total"][index]
        before = tables["previous"]["total"][index]
        year = tables["year_earlier"]["total"][index]
        comparison.append(
            {
                "column": column["label"],
                "current": now,
                "previous": before,
                "previous_change": suppression.change_percent(now["value"], before["value"]),
                "year_earlier": year,
                "year_change": suppression.change_percent(now["value"], year["value"]),
                # Share of the period's total, coarsened over small totals (HMIS rule).
                "share": None
                if grand is None or now["value"] is None
                else suppression.share_percent(now["value"], grand, threshold=limit),
            }
        )
    labels = [unit.name for unit in units]
    if fig.unassigned is not None:
        labels.append(UNASSIGNED_ROW)
    figure = {
        "key": fig.key,
        "title": str(fig.title),
        "description": str(fig.description),
        "goal": str(fig.goal),
        "kind": "money" if fig.money else ("median" if fig.median or fig.pairs_of else "count"),
        "columns": columns,
        "rows": current["rows"]
        if fig.pairs_of
        else [
            {"label": label, "cells": cells} | ({"unassigned": True} if i >= len(units) else {})
            for i, (label, cells) in enumerate(zip(labels, current["rows"], strict=True))
        ],
        "total": {"label": gettext_noop("District total"), "cells": current["total"]},
        "comparison": comparison,
    }
    if fig.unassigned is not None:
        figure["unassigned"] = {
            "label": gettext_noop("Not yet assigned to a district (whole municipality)"),
            "cells": _unassigned_row(fig, periods["current"], limit),
        }
    return figure


def _unassigned_row(fig: Figure, period: Period, limit: int) -> list[dict]:
    """One row of its own, suppressed on its own (it is in no equation with the district's
    rows or total), for what belongs to no district at all yet."""
    raw = fig.unassigned(period, None)
    grid = suppression.build_grid(
        [[int(raw.get(column.key, 0)) for column in fig.columns]],
        row_totals=fig.additive,
        column_totals=False,
    )
    marks = suppression.suppress(grid, limit)
    return [_cell(grid, marks, (0, j), limit) for j in range(len(grid.values[0]))]


def _table(fig: Figure, scope: Scope, limit: int) -> dict:
    if fig.median:
        return _median_table(fig, scope, limit)
    if fig.pairs_of:
        return _pair_table(fig, scope, limit)
    raw = fig.compute(scope) if scope.units else {}
    keys: list = [unit.pk for unit in scope.units]
    if fig.unassigned is not None:
        # What the district has that no unit answers for yet: one more body row.
        raw = raw | {(None, k): v for k, v in fig.unassigned(scope.period, scope.district).items()}
        keys.append(None)
    if not keys:
        width = len(fig.columns) + (1 if fig.additive else 0)
        return {"rows": [], "total": [{"value": 0, "display": "0", "hidden": ""}] * width}
    body, people = [], [] if fig.money else None
    for key in keys:
        row, heads = [], []
        for column in fig.columns:
            value = raw.get((key, column.key), (0, 0) if fig.money else 0)
            if fig.money:
                row.append(int(value[0]))
                heads.append(int(value[1]))
            else:
                row.append(int(value))
        body.append(row)
        if people is not None:
            people.append(heads)
    distinct = _distinct_totals(fig, scope)
    grid = suppression.build_grid(
        body,
        people=people,
        row_totals=fig.additive,
        distinct_totals=None if fig.money else distinct,
        distinct_people=distinct if fig.money else None,
    )
    marks = suppression.suppress(grid, limit)
    published = [
        [_cell(grid, marks, (i, j), limit) for j in range(len(grid.values[i]))]
        for i in range(len(grid.values))
    ]
    return {"rows": published[:-1], "total": published[-1]}


def _pair_table(fig: Figure, scope: Scope, limit: int) -> dict:
    """One row per pair of units with handovers: the count is the cell of the count figure
    as published there (the same suppression, so the two tables cannot be played against
    each other), the median only beside a published count and over at least `limit`
    values (no count of acknowledged handovers is published)."""
    counts_fig = get(fig.pairs_of)
    counts = _table(counts_fig, scope, limit)
    values = fig.compute(scope) if scope.units else {}
    rows = []
    for unit, cells in zip(scope.units, counts["rows"], strict=True):
        for column, count in zip(counts_fig.columns, cells, strict=False):
            if count["value"] == 0:
                continue
            median = _median_cell(values.get((unit.pk, column.key), []), count, limit)
            rows.append(
                {
                    "label": f"{unit.name} → {column.label}",
                    "pair": [unit.name, str(column.label)],
                    "cells": [count, median],
                }
            )
    everything = [v for vals in values.values() for v in vals]
    grand = counts["total"][-1]
    return {"rows": rows, "total": [grand, _median_cell(everything, grand, limit)]}


def _median_cell(values: list, count: dict, limit: int) -> dict:
    if count["hidden"] or len(values) < limit:
        return {"value": None, "display": SECONDARY_MARK, "hidden": count["hidden"] or "secondary"}
    value = round(float(statistics.median(values)), 1)
    return {"value": value, "display": f"{value:g}", "hidden": ""}


def _distinct_totals(fig: Figure, scope: Scope) -> dict[int, int]:
    """Column index -> the district's own count for columns that count distinct people or
    households (someone in two units' rows is one person in the district)."""
    if fig.district_total is None or not scope.units:
        return {}
    own = fig.district_total(scope)
    return {j: int(own.get(c.key, 0)) for j, c in enumerate(fig.columns) if c.key in own}


def _median_table(fig: Figure, scope: Scope, limit: int) -> dict:
    """Columns: the median and how many values it is taken over. The counts go through
    the same suppression as any table (a hidden count must not be recoverable from the
    total), and a median over a hidden or small count is hidden with it."""
    values = fig.compute(scope) if scope.units else {}
    per_unit = [sorted(values.get(unit.pk, [])) for unit in scope.units]
    everything = sorted(v for vals in per_unit for v in vals)
    counts = [[len(vals)] for vals in per_unit]
    grid = suppression.build_grid(counts or [[0]], row_totals=False)
    marks = suppression.suppress(grid, limit)
    lines = [*per_unit, everything] if per_unit else [everything, everything]
    published = []
    for i, vals in enumerate(lines):
        count = _cell(grid, marks, (i, 0), limit)
        if count["hidden"] or not vals:
            median = {"value": None, "display": SECONDARY_MARK, "hidden": count["hidden"]}
        else:
            value = round(float(statistics.median(vals)), 1)
            median = {"value": value, "display": f"{value:g}", "hidden": ""}
        published.append([median, count])
    return {"rows": published[:-1] if per_unit else [], "total": published[-1]}


def _cell(grid, marks, cell, limit: int) -> dict:
    i, j = cell
    mark = marks.get(cell, "")
    people = grid.people[i][j] if grid.people is not None else None
    if mark:
        # "<5" only where it is true: a small count. Hidden sums, secondary and withheld
        # cells get a dash.
        small_count = mark == suppression.PRIMARY and people is None
        display = HIDDEN.format(threshold=limit) if small_count else SECONDARY_MARK
        result = {"value": None, "display": display, "hidden": mark}
        if people is not None:
            result["people"] = None
        return result
    value = grid.values[i][j]
    result = {"value": value, "display": str(value), "hidden": ""}
    if people is not None:
        result["people"] = people
    return result
