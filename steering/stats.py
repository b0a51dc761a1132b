"""The statistics module: every anonymised figure, for a district and a period, protected
against a reader who combines everything the product publishes (docs/statistics.md).

The method, in four rules:

1. **Months are the atoms.** Each figure of one calendar month is a table (units ×
   columns, with row and district totals) that goes through `steering.suppression`:
   counts 1–4 are hidden ("<5"), sums over fewer than 5 people are hidden, and enough
   other cells are hidden that no hidden one can be worked out from the table, not even
   with the ranges of the hidden cells (the bounds audit).
2. **A longer period adds nothing.** Only fixed calendar periods are offered (month,
   quarter, year, year to date). A count of a quarter, year or year to date is the sum of
   its months' counts, published only where every one of those month cells is published:
   it is then a sum of published numbers and tells nothing new, so no pair of periods can
   be differenced into a hidden month (τ-ARGUS's linked tables, solved by construction).
   Figures that are not sums over time (people counted once over the period) are counted
   for the period and suppressed with the months' hidden cells kept hidden.
3. **Published numbers do not move.** A month is frozen the first time it is published
   (as a monthly report); a correction appears only in a new version, in which a cell
   whose change is smaller than the threshold is hidden with enough partners that the
   change cannot be worked out (`previous=`).
4. **No identity between figures.** Stocks that would tie figures together
   (open(M) = open(M-1) + new(M) - closed(M)) are not published; sums of nights and of
   money carry the people behind them and are hidden in the same cells.

What leaves this module is already suppressed: hidden cells carry no value at all, so no
page, export, API response or stored report can show more than the published tables.
Everything is plain JSON (labels are the English source texts, translated when shown).
"""

from __future__ import annotations

import statistics
from collections import Counter as Tally
from collections.abc import Callable

from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from bokvar.models import District, Unit

from . import suppression
from .figures import (
    COUNTERS,
    DISTINCT,
    END,
    FROM_DISTRIBUTIONS,
    MONTH_COUNTERS,
    Figure,
    Scope,
    all_figures,
    get,
)
from .figures.housing import forecasts_kept
from .periods import MONTH, Period

SCHEMA_VERSION = 2
HIDDEN = "<{threshold}"
SECONDARY_MARK = "–"
# The row of a district's things not yet tied to a unit (e.g. landlord signals of the
# district not yet linked to a case): a body row of the table, inside the district total.
UNASSIGNED_ROW = gettext_noop("Not yet assigned to a unit")
MUNICIPALITY_ROW = gettext_noop("Not yet assigned to a district (whole municipality)")
DISTRICT_TOTAL = gettext_noop("District total")

# The source of a period's published tables: fresh (tests, a first freeze) or frozen.
Tables = Callable[[Period], dict]


def threshold() -> int:
    return suppression.threshold()


def district_units(district: District) -> tuple[Unit, ...]:
    return tuple(Unit.objects.filter(district=district).order_by("name"))


# --- Rule 1: a month's tables --------------------------------------------------------


def month_tables(
    *,
    district: District,
    month: Period,
    limit: int | None = None,
    previous: dict | None = None,
    distributions: dict | None = None,
) -> dict:
    """The published tables of one calendar month. With `previous` (an earlier published
    version of the same month) a cell that changed by fewer than `limit` is hidden too.
    With `distributions` (a dict), the values behind the month's medians are put there
    too (`distribution`), to be kept beside the month, unpublished."""
    if month.kind != MONTH:
        raise ValueError("month_tables takes a calendar month")
    return _tables(
        district=district,
        period=month,
        limit=limit or threshold(),
        previous=previous,
        distributions=distributions,
    )


# The most months one counter's query counts (`months_tables`): two years, a trend.
MONTHS_AT_ONCE = 24


def months_tables(
    *,
    district: District,
    months: list[Period],
    limit: int | None = None,
    previous: dict[str, dict | None] | None = None,
    distributions: dict[str, dict] | None = None,
) -> dict[str, dict]:
    """The published tables of several calendar months ({month key: tables}), each as
    `month_tables` makes it, counted together: every figure by the `COUNTERS` and
    `MONTH_COUNTERS` (one query per kind of record for all the months, a FILTER clause
    per month), so a trend's or a refresh's cold months cost a fixed number of queries
    instead of some fifty each. `previous` and `distributions` per month key, as for
    `month_tables` (a dict is filled for each month in `distributions`)."""
    if any(m.kind != MONTH for m in months):
        raise ValueError("months_tables takes calendar months")
    units = district_units(district)
    counted: dict[str, dict] = {m.key: {} for m in months}
    # In batches: a counter's query has some aggregates per month, and PostgreSQL takes
    # at most 1,664 columns.
    for start in range(0, len(months), MONTHS_AT_ONCE):
        scopes = [
            Scope(district=district, units=units, period=m)
            for m in months[start : start + MONTHS_AT_ONCE]
        ]
        for counter in (*COUNTERS, *MONTH_COUNTERS):
            for (figure_key, what, period_key), value in counter(scopes).items():
                counted[period_key][(figure_key, what)] = value
    made = {}
    for m in months:
        kept = None
        if distributions is not None:
            kept = distributions.setdefault(m.key, {})
        made[m.key] = _tables(
            district=district,
            period=m,
            limit=limit or threshold(),
            previous=(previous or {}).get(m.key),
            units=units,
            counted=counted[m.key],
            distributions=kept,
        )
    return made


def distributed_figures() -> list[Figure]:
    """The figures whose months keep the distribution of their values: the units'
    medians (a median of a quarter is not a function of its months' medians, but it is
    one of their distributions: the values of the quarter are those of its months)."""
    return [f for f in all_figures() if f.median and f.pairs_of is None and f.rows is None]


def distribution(values: dict) -> dict:
    """A median figure's {unit id: [values]} as {unit id (a string: JSON): [[value, how
    many], ...]}: counts of values per unit, no record and no person."""
    return {
        str(unit): sorted([value, n] for value, n in Tally(vals).items())
        for unit, vals in values.items()
        if vals
    }


def values_of(distributions: list[dict], key: str) -> dict[int, list]:
    """The {unit id: [values]} of figure `key` over several months' distributions (the
    months of a period): the same values, in another order, as its provider counts for
    the period from the records the months were published from."""
    out: dict[int, list] = {}
    for kept in distributions:
        for unit, pairs in kept[key].items():
            out.setdefault(int(unit), []).extend(v for v, n in pairs for _ in range(n))
    return out


# A period's tables read and write nothing between their figures: the cost forecast, asked
# by two providers, is made once.
@forecasts_kept()
def _tables(
    *,
    district,
    period,
    limit,
    previous=None,
    months=None,
    units=None,
    counted=None,
    distributions=None,
) -> dict:
    units = district_units(district) if units is None else units
    counted = dict(counted or {})
    if distributions is not None:
        # Counted once here, for the month's table and for its distribution alike.
        plain = Scope(district=district, units=units, period=period, counted=counted)
        for fig in distributed_figures():
            values = _provided(fig, plain, "compute") if units else {}
            counted[(fig.key, "compute")] = values
            distributions[fig.key] = distribution(values)
    scope = Scope(district=district, units=units, period=period, counted=counted)
    built: dict[str, dict] = {}
    marks_of: dict[str, dict] = {}
    with translation.override(None):
        for fig in all_figures():
            before = _figure_of(previous, fig.key)
            in_months = [_figure_of(m, fig.key) for m in months] if months else None
            built[fig.key] = _figure_table(fig, scope, limit, built, marks_of, before, in_months)
    return {
        "schema": SCHEMA_VERSION,
        "district": district.name,
        "period": period.as_dict(),
        "threshold": limit,
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "figures": [built[fig.key] for fig in all_figures()],
    }


def _figure_of(tables: dict | None, key: str) -> dict | None:
    if not tables:
        return None
    return next((f for f in tables.get("figures", []) if f["key"] == key), None)


def _kind(fig: Figure) -> str:
    if fig.money:
        return "nights" if fig.unit == "nights" else "money"
    return "median" if fig.median or fig.pairs_of else "count"


def _figure_table(fig, scope, limit, built, marks_of, before, in_months) -> dict:
    columns = [{"key": c.key, "label": str(c.label)} for c in fig.columns]
    if fig.additive:
        columns.append({"key": "total", "label": gettext_noop("Total")})
    head = {
        "key": fig.key,
        "title": str(fig.title),
        "description": str(fig.description),
        "goal": str(fig.goal),
        "kind": _kind(fig),
        "columns": columns,
    }
    if in_months is not None and fig.over_time == END:
        return in_months[-1]
    if fig.median:
        body = _median_table(fig, scope, limit, in_months)
    elif fig.pairs_of:
        body = _pair_table(fig, scope, limit, built[fig.pairs_of])
    elif in_months is not None and fig.over_time != DISTINCT and not fig.money:
        body = _sum_of_months(fig, scope, in_months)
    else:
        body = _grid_table(fig, scope, limit, marks_of, before, in_months)
    return head | body


def _provided(fig: Figure, scope: Scope, what: str):
    """What the figure's `compute`, `district_total` or `rows` answers for the scope:
    counted already together with other periods (`Scope.counted`), else asked now."""
    key = (fig.key, what)
    if key in scope.counted:
        return scope.counted[key]
    return getattr(fig, what)(scope)


def _unassigned(fig: Figure, scope: Scope, what: str) -> dict:
    """The figure's things not tied to a unit: of the district ("unassigned") or of no
    district ("municipality"), counted already (`Scope.counted`) or asked now."""
    if (fig.key, what) in scope.counted:
        return scope.counted[(fig.key, what)]
    if fig.unassigned is None:
        return {}
    return fig.unassigned(scope.period, scope.district if what == "unassigned" else None)


def _row_keys(fig: Figure, scope: Scope) -> list[tuple[object, str]]:
    """The table's rows: the district's units, or the figure's own rows (organisations)."""
    if fig.rows is not None:
        return _provided(fig, scope, "rows")
    return [(unit.pk, unit.name) for unit in scope.units]


def _labels(fig: Figure, scope: Scope) -> list[str]:
    labels = [label for _key, label in _row_keys(fig, scope)]
    if fig.unassigned is not None:
        labels.append(UNASSIGNED_ROW)
    return labels


def _rows(fig, scope, lines: list[list[dict]]) -> list[dict]:
    units = len(_row_keys(fig, scope))
    return [
        {"label": label, "cells": cells} | ({"unassigned": True} if i >= units else {})
        for i, (label, cells) in enumerate(zip(_labels(fig, scope), lines, strict=True))
    ]


def _raw(fig: Figure, scope: Scope):
    """The unsuppressed body of a table: counts, or sums and the people behind them."""
    keys: list = [key for key, _label in _row_keys(fig, scope)]
    raw = _provided(fig, scope, "compute") if keys else {}
    if fig.unassigned is not None:
        raw = raw | {(None, k): v for k, v in _unassigned(fig, scope, "unassigned").items()}
        keys.append(None)
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
    return body, people


def _grid_table(fig, scope, limit, marks_of, before, in_months) -> dict:
    body, people = _raw(fig, scope)
    if not body:
        width = len(fig.columns) + (1 if fig.additive else 0)
        zero = {"value": 0, "display": "0", "hidden": ""}
        return {"rows": [], "total": {"label": DISTRICT_TOTAL, "cells": [zero] * width}}
    distinct = _distinct_totals(fig, scope)
    grid = suppression.build_grid(
        body,
        people=people,
        row_totals=fig.additive,
        distinct_totals=None if fig.money else distinct,
        distinct_people=distinct if fig.money else None,
    )
    if fig.same_cells_as and fig.same_cells_as in marks_of:
        # The same people behind both sums: the same hidden cells, so neither sum can be
        # worked out from the other (the pattern, not the values, decides what is solvable).
        marks = marks_of[fig.same_cells_as]
    else:
        forced = _hidden_in_months(grid, in_months, _labels(fig, scope))
        marks = _protect_changes(grid, limit, forced, before)
    marks_of[fig.key] = marks
    published = [
        [_cell(grid, marks, (i, j), limit) for j in range(len(grid.values[i]))]
        for i in range(len(grid.values))
    ]
    if in_months is not None and fig.money and fig.over_time != DISTINCT:
        # A sum over time is the sum of the published months: consistent with them
        # whatever was corrected since (a correction shows in a new version only).
        published = _sums_from_months(published, in_months, _labels(fig, scope))
    table = {
        "rows": _rows(fig, scope, published[:-1]),
        "total": {"label": DISTRICT_TOTAL, "cells": published[-1]},
    }
    if fig.unassigned is not None:
        table["unassigned"] = _municipality_row(fig, scope, limit, in_months)
    return table


def _month_line(month_fig: dict, i: int, labels: list[str]) -> list[dict] | None:
    """Line `i` of a longer period's grid (a row by its label, or the district total) in
    one month's published table; None where the month has no such row (a unit added or
    renamed since): treated as hidden, so nothing unpublished is summed."""
    if i == len(labels):
        return month_fig["total"]["cells"]
    return next((r["cells"] for r in month_fig["rows"] if r["label"] == labels[i]), None)


def _hidden_in_months(grid, in_months, labels: list[str]) -> set:
    """Cells of a longer period whose cell is hidden (or missing) in one of its months."""
    forced: set = set()
    if not in_months:
        return forced
    for month_fig in in_months:
        for i, row in enumerate(grid.values):
            line = _month_line(month_fig, i, labels) if month_fig else None
            for j in range(len(row)):
                if line is None or j >= len(line) or line[j]["value"] is None:
                    forced.add((i, j))
    return forced


def _sums_from_months(published, in_months, labels: list[str]) -> list[list[dict]]:
    out = []
    for i, line in enumerate(published):
        new_line = []
        for j, cell in enumerate(line):
            if cell["value"] is None:
                new_line.append(cell)
                continue
            parts = [_month_line(m, i, labels)[j]["value"] for m in in_months]
            total = sum(parts)
            new_line.append(cell | {"value": total, "display": str(total)})
        out.append(new_line)
    return out


def _hidden() -> dict:
    return {"value": None, "display": SECONDARY_MARK, "hidden": suppression.SECONDARY}


def _sum_line(lines: list[list[dict]]) -> list[dict]:
    """Cell by cell, the sum of the months' published cells, hidden where any month's
    cell is hidden: a sum of published numbers only."""
    out = []
    for cells in zip(*lines, strict=True):
        if any(c["value"] is None for c in cells):
            out.append(_hidden())
        else:
            total = sum(c["value"] for c in cells)
            out.append({"value": total, "display": str(total), "hidden": ""})
    return out


def _sum_of_months(fig, scope, in_months) -> dict:
    labels = _labels(fig, scope)
    width = len(fig.columns) + (1 if fig.additive else 0)
    missing = [{"value": None}] * width
    rows = [
        _sum_line([_month_line(m, i, labels) or missing for m in in_months])
        for i in range(len(labels))
    ]
    table = {
        "rows": _rows(fig, scope, rows) if rows else [],
        "total": {
            "label": DISTRICT_TOTAL,
            "cells": _sum_line([m["total"]["cells"] for m in in_months]),
        },
    }
    if fig.unassigned is not None:
        table["unassigned"] = {
            "label": MUNICIPALITY_ROW,
            "cells": _sum_line([m["unassigned"]["cells"] for m in in_months]),
        }
    return table


def _municipality_row(fig: Figure, scope: Scope, limit: int, in_months) -> dict:
    """What belongs to no district at all yet: one row of its own, suppressed on its own
    (it is in no equation with the district's rows or total)."""
    if in_months:
        cells = _sum_line([m["unassigned"]["cells"] for m in in_months])
        return {"label": MUNICIPALITY_ROW, "cells": cells}
    raw = _unassigned(fig, scope, "municipality")
    grid = suppression.build_grid(
        [[int(raw.get(column.key, 0)) for column in fig.columns]],
        row_totals=fig.additive,
        column_totals=False,
    )
    marks = suppression.suppress(grid, limit)
    cells = [_cell(grid, marks, (0, j), limit) for j in range(len(grid.values[0]))]
    return {"label": MUNICIPALITY_ROW, "cells": cells}


# --- Rule 3: a new version hides what changed a little ----------------------------


def _protect_changes(grid, limit: int, forced: set, before: dict | None) -> dict:
    """Suppress `grid`; with an earlier published version, also hide every cell that
    changed by 1..limit-1 (counted in people for sums), and go on hiding partners until no
    such change can be worked out from the cells published in both versions."""
    marks = suppression.suppress(grid, limit, forced)
    if before is None:
        return marks
    old = _grid_values(before, grid, people=grid.people is not None)
    if old is None:
        return marks
    now = grid.people if grid.people is not None else grid.values
    small = {
        (i, j)
        for i, row in enumerate(now)
        for j, value in enumerate(row)
        if old[i][j] is not None and 0 < abs(value - old[i][j]) < limit
    }
    forced = set(forced) | small
    while True:
        marks = suppression.suppress(grid, limit, forced)
        # A change is known where the cell is published in both versions.
        unknown = {
            (i, j)
            for i, row in enumerate(now)
            for j, _ in enumerate(row)
            if (i, j) in marks or old[i][j] is None
        }
        exposed = [c for c in suppression.determined_cells(grid, unknown) if c in small]
        if not exposed:
            return marks
        extra = _partner(grid, marks, exposed[0])
        if extra is None:
            rows, cols = grid.shape
            return {(i, j): suppression.WITHHELD for i in range(rows) for j in range(cols)}
        forced.add(extra)


def _partner(grid, marks, cell):
    rows, cols = grid.shape
    i, j = cell
    line = [(i, c) for c in range(cols)] + [(r, j) for r in range(rows)]
    candidates = [c for c in line if c not in marks]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (grid.values[c[0]][c[1]] == 0, grid.values[c[0]][c[1]]))


def _grid_values(before: dict, grid, *, people: bool) -> list[list[int | None]] | None:
    """The earlier version's published numbers in the shape of `grid` (None: hidden)."""
    lines = [r["cells"] for r in before.get("rows", [])] + [before["total"]["cells"]]
    if len(lines) != len(grid.values) or any(
        len(line) != len(row) for line, row in zip(lines, grid.values, strict=True)
    ):
        return None
    key = "people" if people else "value"
    return [[c.get(key) if c["value"] is not None else None for c in line] for line in lines]


# --- Medians and pairs -------------------------------------------------------------


def _pair_table(fig: Figure, scope: Scope, limit: int, counts: dict) -> dict:
    """One row per pair of units with handovers: the count is the cell of the count figure
    as published there (the same suppression, so the two tables cannot be played against
    each other), the median only beside a published count and over at least `limit`
    values (no count of acknowledged handovers is published)."""
    counts_fig = get(fig.pairs_of)
    values = _provided(fig, scope, "compute") if scope.units else {}
    rows = []
    for unit, line in zip(scope.units, counts["rows"], strict=False):
        for column, count in zip(counts_fig.columns, line["cells"], strict=False):
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
    grand = counts["total"]["cells"][-1]
    return {
        "rows": rows,
        "total": {
            "label": DISTRICT_TOTAL,
            "cells": [grand, _median_cell(everything, grand, limit)],
        },
    }


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
    own = _provided(fig, scope, "district_total")
    return {j: int(own.get(c.key, 0)) for j, c in enumerate(fig.columns) if c.key in own}


def _median_table(fig: Figure, scope: Scope, limit: int, in_months) -> dict:
    """Columns: the median and how many values it is taken over. The counts go through
    the same suppression as any table (a hidden count must not be recoverable from the
    total), and a median over a hidden or small count is hidden with it. Over a longer
    period the counts are the sums of the months'."""
    values = _provided(fig, scope, "compute") if scope.units else {}
    per_unit = [sorted(values.get(unit.pk, [])) for unit in scope.units]
    everything = sorted(v for vals in per_unit for v in vals)
    if in_months:
        labels = [unit.name for unit in scope.units]
        missing = [{"value": None}, {"value": None}]
        counts = [
            _sum_line([[(_month_line(m, i, labels) or missing)[1]] for m in in_months])[0]
            for i in range(len(labels))
        ]
        counts.append(_sum_line([[m["total"]["cells"][1]] for m in in_months])[0])
    else:
        grid = suppression.build_grid([[len(v)] for v in per_unit] or [[0]], row_totals=False)
        marks = suppression.suppress(grid, limit)
        counts = [_cell(grid, marks, (i, 0), limit) for i in range(len(grid.values))]
    lines = [*per_unit, everything] if per_unit else [everything, everything]
    published = []
    for count, vals in zip(counts, lines, strict=False):
        if count["value"] is None or count["value"] < limit or not vals:
            median = {"value": None, "display": SECONDARY_MARK, "hidden": count["hidden"]}
        else:
            value = round(float(statistics.median(vals)), 1)
            median = {"value": value, "display": f"{value:g}", "hidden": ""}
        published.append([median, count])
    rows = published[:-1] if per_unit else []
    return {
        "rows": [{"label": u.name, "cells": c} for u, c in zip(scope.units, rows, strict=False)],
        "total": {"label": DISTRICT_TOTAL, "cells": published[-1]},
    }


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


# --- Rule 2: longer periods from their months ---------------------------------------


def period_tables(
    *,
    district: District,
    period: Period,
    tables: Tables,
    limit: int | None = None,
    previous: dict | None = None,
) -> dict:
    """The published tables of `period`: a month from `tables`; a quarter, year or year to
    date from its months' published tables (sums where every month is published) and, for
    what is not a sum over time, counted for the period with the months' hidden cells
    kept hidden. `previous`: the earlier version of this period's tables, if any."""
    if period.kind == MONTH:
        return tables(period)
    made = periods_tables(
        district=district,
        periods=[period],
        tables=tables,
        limit=limit,
        previous={period.key: previous},
    )
    return made[period.key]


def periods_tables(
    *,
    district: District,
    periods: list[Period],
    tables: Tables,
    limit: int | None = None,
    previous: dict[str, dict | None] | None = None,
) -> dict[str, dict]:
    """The published tables of several longer periods of one district ({period key:
    tables}), each as `period_tables` makes it. What is not a sum of months is counted
    for all of them together by the `COUNTERS` (one query per kind of record, a FILTER
    clause per period), so a first request for a period and the same period a year before
    costs a fixed number of queries however long the periods and however much data.
    `previous`: the earlier version of each period's tables, if any."""
    units = district_units(district)
    scopes = [Scope(district=district, units=units, period=p) for p in periods]
    counted: dict[str, dict] = {p.key: {} for p in periods}
    # The medians from the months' kept distributions where every month of every period
    # has one (months published before they were kept have none: counted as before).
    kept = getattr(tables, "distributions", None)
    covered: set[str] = set()
    if kept is not None:
        months: dict[str, list] = {}
        for period in periods:
            months[period.key] = []
            for month in period.month_periods():
                tables(month)  # published now if it was not (its distribution kept with it)
                months[period.key].append(kept(month))
        for fig in distributed_figures():
            if all(d is not None and fig.key in d for ds in months.values() for d in ds):
                covered.add(fig.key)
                for period in periods:
                    counted[period.key][(fig.key, "compute")] = values_of(
                        months[period.key], fig.key
                    )
    for counter in COUNTERS:
        if counter in FROM_DISTRIBUTIONS and FROM_DISTRIBUTIONS[counter] <= covered:
            continue
        for (figure_key, what, period_key), value in counter(scopes).items():
            counted[period_key][(figure_key, what)] = value
    made = {}
    for period in periods:
        if period.kind == MONTH:
            raise ValueError("periods_tables takes longer periods; a month is published")
        made[period.key] = _tables(
            district=district,
            period=period,
            limit=limit or threshold(),
            previous=(previous or {}).get(period.key),
            months=[tables(m) for m in period.month_periods()],
            units=units,
            counted=counted[period.key],
        )
    return made


def fresh_tables(district: District, limit: int | None = None) -> Tables:
    """Tables computed now and kept for the call (no storage): for tests and previews."""
    cache: dict[str, dict] = {}

    def source(period: Period) -> dict:
        if period.key not in cache:
            if period.kind == MONTH:
                cache[period.key] = month_tables(district=district, month=period, limit=limit)
            else:
                cache[period.key] = period_tables(
                    district=district, period=period, tables=source, limit=limit
                )
        return cache[period.key]

    return source


# --- The report: tables, comparisons, key figures -----------------------------------


def build_report(
    *,
    district: District,
    period: Period,
    limit: int | None = None,
    tables: Tables | None = None,
    current: dict | None = None,
) -> dict:
    """All figures for `period` in `district` with the previous period and the same
    period a year earlier, from the published tables (`tables`, fresh by default);
    `current` replaces this period's tables (a stored version of a monthly report)."""
    limit = limit or threshold()
    source = tables or fresh_tables(district, limit)
    now = current or source(period)
    before = source(period.previous()) if period.previous() is not None else None
    year = source(period.year_earlier())
    figures = []
    with translation.override(None):
        for figure in now["figures"]:
            figures.append(
                figure
                | {
                    "comparison": _comparison(
                        figure,
                        _figure_of(before, figure["key"]),
                        _figure_of(year, figure["key"]),
                        limit,
                    )
                }
            )
    report = {
        "schema": SCHEMA_VERSION,
        "district": district.name,
        "period": period.as_dict(),
        "previous": period.previous().as_dict() if period.previous() is not None else None,
        "year_earlier": period.year_earlier().as_dict(),
        "threshold": limit,
        "generated_at": now.get("generated_at") or timezone.now().isoformat(timespec="seconds"),
        "figures": figures,
    }
    report["key_figures"] = key_figures(now, year, limit)
    for extra in ("version", "changes"):
        if extra in now:
            report[extra] = now[extra]
    return report


def _comparison(figure: dict, before: dict | None, year: dict | None, limit: int) -> list[dict]:
    absent = {"value": None, "display": SECONDARY_MARK, "hidden": ""}
    grand = (
        figure["total"]["cells"][-1]["value"] if figure["columns"][-1]["key"] == "total" else None
    )
    out = []
    for index, column in enumerate(figure["columns"]):
        now = figure["total"]["cells"][index]
        then = before["total"]["cells"][index] if before else absent
        past = year["total"]["cells"][index] if year else absent
        out.append(
            {
                "column": column["label"],
                "current": now,
                "previous": then,
                "previous_change": suppression.change_percent(now["value"], then["value"]),
                "year_earlier": past,
                "year_change": suppression.change_percent(now["value"], past["value"]),
                # Share of the period's total, coarsened over small totals (HMIS rule).
                "share": None
                if grand is None or now["value"] is None
                else suppression.share_percent(now["value"], grand, threshold=limit),
            }
        )
    return out


# The goals of the steering group (seed 003) as key figures: (key, label, figure, columns
# whose district totals add up to it, what the number is, goal).
KEY_FIGURES = [
    (
        "evictions",
        gettext_noop("Evictions carried out"),
        "threat_outcomes",
        ["evicted"],
        "count",
        gettext_noop("Fewer"),
    ),
    (
        "children_evicted",
        gettext_noop("Children in evicted households"),
        "children_in_evictions",
        ["children"],
        "count",
        gettext_noop("The goal is zero"),
    ),
    (
        "home_kept",
        gettext_noop("Threats resolved with the home kept"),
        "threat_outcomes",
        ["lease_kept", "recovered_by_payment"],
        "count",
        gettext_noop("More"),
    ),
    (
        "shelter_nights",
        gettext_noop("Shelter nights"),
        "shelter_nights",
        ["nights"],
        "count",
        gettext_noop("Fewer"),
    ),
    (
        "shelter_cost",
        gettext_noop("Cost of shelter nights"),
        "shelter_cost",
        ["cost"],
        "money",
        gettext_noop("Lower"),
    ),
    (
        "takeovers",
        gettext_noop("Contract takeovers"),
        "takeovers",
        ["takeovers"],
        "count",
        gettext_noop("More"),
    ),
    (
        "back_6",
        gettext_noop("Back in homelessness within 6 months"),
        "returns_to_homelessness",
        ["back_6"],
        "count",
        gettext_noop("Fewer"),
    ),
    (
        "back_12",
        gettext_noop("Back in homelessness within 12 months"),
        "returns_to_homelessness",
        ["back_12"],
        "count",
        gettext_noop("Fewer"),
    ),
]


def key_value(tables: dict | None, figure_key: str, columns: list[str]) -> dict:
    """The district total of `columns` of a figure: their sum where all are published
    (a sum of published numbers), else hidden; a single small cell keeps its "<5"."""
    figure = _figure_of(tables, figure_key)
    if figure is None:
        return {"value": None, "display": SECONDARY_MARK, "hidden": "absent"}
    index = {c["key"]: i for i, c in enumerate(figure["columns"])}
    cells = [figure["total"]["cells"][index[c]] for c in columns]
    if len(cells) == 1:
        return {k: cells[0][k] for k in ("value", "display", "hidden")}
    if any(c["value"] is None for c in cells):
        return _hidden()
    total = sum(c["value"] for c in cells)
    return {"value": total, "display": str(total), "hidden": ""}


def key_figures(now: dict, year: dict | None, limit: int) -> list[dict]:
    out = []
    for key, label, figure_key, columns, kind, goal in KEY_FIGURES:
        current = key_value(now, figure_key, columns)
        past = key_value(year, figure_key, columns)
        item = {
            "key": key,
            "label": label,
            "figure": figure_key,
            "kind": kind,
            "goal": goal,
            "current": current,
            "year_earlier": past,
            "year_change": suppression.change_percent(current["value"], past["value"]),
        }
        if figure_key == "returns_to_homelessness":
            item["of"] = key_value(now, figure_key, ["left"])
            item["of_year_earlier"] = key_value(year, figure_key, ["left"])
        out.append(item)
    return out


# Months a report's trend shows, up to the period's last month.
TREND_MONTHS = 24


def trend(tables: Tables, end: Period, months: int = TREND_MONTHS) -> list[dict]:
    """The key figures month by month over the `months` months up to `end`'s last month,
    from the published month tables (a hidden month is a gap)."""
    last = end.last_month
    points = []
    for back in range(months - 1, -1, -1):
        month = last.shifted(-back)
        month_tables_ = tables(month)
        points.append(
            {
                "month": month.key,
                "values": {
                    key: key_value(month_tables_, figure_key, columns)
                    for key, _l, figure_key, columns, _k, _g in KEY_FIGURES
                },
            }
        )
    return points
