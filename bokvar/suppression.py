"""Small-cell suppression: the one function every published table goes through.

It lives in the kernel so that every app publishing counts uses the same rule: the
steering statistics (`steering.stats`) and the survey results of the partners app
(`partners.survey_results`), which may not import steering (docs/architecture.md).

A table is a grid of body cells with, optionally, a total per row (when the
columns are parts of a whole) and a total per column (the district row). The
published grid is the body plus those totals; every total is a linear equation
("these cells add up to that one"), and an attacker who knows the published
cells can solve those equations for a hidden one.

1. Primary suppression: a count from 1 to threshold-1 is hidden ("<5"). Zero is
   shown: "no children evicted" is the figure the steering group needs, and a
   zero says nothing about a person. A money sum is hidden when fewer than
   `threshold` people (but at least one) are behind it.
2. Secondary suppression, classic rule: any equation with exactly one hidden
   cell gets the next-smallest published cell of that equation hidden too
   (body cells before totals, non-zero before zero), repeated to a fixed point.
3. Audit: the classic rule is not sufficient in general (a hidden cell that is a
   "bridge" between two groups of hidden cells is still determined), so the
   equations are solved exactly (integer Gaussian elimination on sparse rows); while any
   hidden cell has a unique value, one more cell of its row or column is hidden.
4. Bounds audit (`bokvar.bounds`): an attacker also knows that a "<5" cell holds
   1–4 and a secondary one 0 or at least 5, so e.g. two "<5" cells adding up to 8
   are both 4. While any primary cell has only one value consistent with those
   ranges and the published cells, the smallest non-zero published cell of its row
   or column is hidden too.

A column whose total is a distinct count (a person paid by two units is one person
in the district) does not add up: its equation gets an unpublished, non-negative
"slack" (the sum of the parts minus the distinct total) that both audits treat as
one more unknown. Tables here are small (units × categories), so exact reasoning
is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import gcd
from typing import Any

from django.conf import settings

from . import bounds

PRIMARY = bounds.PRIMARY
SECONDARY = "secondary"
# A table so small that hiding every cell would still give a "<5" away (e.g. four cells
# of "<5" under a "<5" total are all 1): every cell is withheld alike, with no "<5".
WITHHELD = "withheld"

Cell = tuple[int, int]
# The order in which the cells of a line are hidden next (smallest key first).
Key = Callable[["Grid", Cell], tuple[bool, bool, int, Cell]]


def threshold() -> int:
    """The smallest count published: 1 to threshold-1 is hidden (BOKVAR_STATS_THRESHOLD)."""
    return int(getattr(settings, "BOKVAR_STATS_THRESHOLD", 5))


@dataclass
class Grid:
    """The published grid: body rows/columns plus total row/column when present."""

    values: list[list[int]]
    people: list[list[int]] | None  # for money: how many people are behind each sum
    equations: list[tuple[list[Cell], Cell]]  # parts, total
    total_cells: frozenset[Cell]
    # "row" or "col" for each equation (the audits need to know which is which).
    sides: list[str] = field(default_factory=list)
    # Equation index -> sum of its parts minus its (distinct) total, never published.
    slack: dict[int, int] = field(default_factory=dict)
    people_slack: dict[int, int] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.values), len(self.values[0]) if self.values else 0


def build_grid(
    body: list[list[int]],
    *,
    people: list[list[int]] | None = None,
    row_totals: bool,
    column_totals: bool = True,
    distinct_totals: dict[int, int] | None = None,
    distinct_people: dict[int, int] | None = None,
) -> Grid:
    """Add the totals to `body` and list the equations they make.

    `distinct_totals` gives, for a body column, a total row value counted on its own
    (a distinct count, at most the column's sum) instead of the sum; `distinct_people`
    does the same for the people behind a money column. Only without row totals.
    """
    rows = len(body)
    cols = len(body[0]) if rows else 0
    distinct_totals = distinct_totals or {}
    distinct_people = distinct_people or {}
    if (distinct_totals or distinct_people) and (row_totals or not column_totals):
        raise ValueError("distinct totals need a total row and no total column")
    values = [list(r) for r in body]
    counts = [list(r) for r in people] if people is not None else None
    equations: list[tuple[list[Cell], Cell]] = []
    sides: list[str] = []
    totals: set[Cell] = set()
    slack: dict[int, int] = {}
    people_slack: dict[int, int] = {}
    if row_totals:
        for i in range(rows):
            values[i].append(sum(body[i]))
            if counts is not None:
                counts[i].append(sum(counts[i]))  # the copy of people[i]
            equations.append(([(i, j) for j in range(cols)], (i, cols)))
            sides.append("row")
            totals.add((i, cols))
    width = cols + (1 if row_totals else 0)
    if column_totals and rows:
        sums = [sum(values[i][j] for i in range(rows)) for j in range(width)]
        values.append([distinct_totals.get(j, sums[j]) for j in range(width)])
        if counts is not None:
            heads = [sum(counts[i][j] for i in range(rows)) for j in range(width)]
            counts.append([distinct_people.get(j, heads[j]) for j in range(width)])
        for j in range(width):
            k = len(equations)
            equations.append(([(i, j) for i in range(rows)], (rows, j)))
            sides.append("col")
            totals.add((rows, j))
            if j in distinct_totals:
                slack[k] = _excess(sums[j], distinct_totals[j])
            if j in distinct_people:
                people_slack[k] = _excess(heads[j], distinct_people[j])
        if row_totals:
            equations.append(([(rows, j) for j in range(cols)], (rows, cols)))
            sides.append("row")
    return Grid(
        values=values,
        people=counts,
        equations=equations,
        total_cells=frozenset(totals),
        sides=sides,
        slack=slack,
        people_slack=people_slack,
    )


def _excess(parts: int, total: int) -> int:
    if not 0 <= total <= parts:
        raise ValueError(f"a distinct total ({total}) must lie between 0 and the sum ({parts})")
    return parts - total


def primary_cells(grid: Grid, threshold: int) -> set[Cell]:
    hidden = set()
    for i, row in enumerate(grid.values):
        for j, value in enumerate(row):
            small = grid.people[i][j] if grid.people is not None else value
            if 0 < small < threshold:
                hidden.add((i, j))
    return hidden


# Answers of `suppress` already worked out, by everything they depend on (the grid, the
# threshold, the forced cells): the same small tables come back again and again (the
# same months in a report, its trend and its exports, in every district with the same
# few cases), and the audits are most of a table's cost. Cleared when full.
_SUPPRESSED: dict[tuple[object, ...], dict[Cell, str]] = {}
_SUPPRESSED_MAX = 4096


def _grid_key(
    grid: Grid, threshold: int, forced: set[Cell] | frozenset[Cell]
) -> tuple[object, ...]:
    return (
        threshold,
        frozenset(forced),
        tuple(map(tuple, grid.values)),
        None if grid.people is None else tuple(map(tuple, grid.people)),
        tuple((tuple(parts), total) for parts, total in grid.equations),
        tuple(grid.sides),
        tuple(sorted(grid.slack.items())),
        tuple(sorted(grid.people_slack.items())),
    )


def suppress(
    grid: Grid, threshold: int, forced: set[Cell] | frozenset[Cell] = frozenset()
) -> dict[Cell, str]:
    """Return the hidden cells of `grid`, each marked primary or secondary.

    `forced` cells are hidden whatever their value (a cell of a quarter whose month is
    hidden, a cell whose change since the last version is small): they are protected like
    secondary cells, so neither can be worked out from the rest of the table.

    A function of its arguments only, so an answer worked out before is given again
    (a copy: callers may add to it).
    """
    key = _grid_key(grid, threshold, forced)
    marks = _SUPPRESSED.get(key)
    if marks is None:
        marks = _suppress(grid, threshold, forced)
        if len(_SUPPRESSED) >= _SUPPRESSED_MAX:
            _SUPPRESSED.clear()
        _SUPPRESSED[key] = marks
    return dict(marks)


def _suppress(grid: Grid, threshold: int, forced: set[Cell] | frozenset[Cell]) -> dict[Cell, str]:
    marks: dict[Cell, str] = {cell: PRIMARY for cell in primary_cells(grid, threshold)}
    for cell in forced:
        marks.setdefault(cell, SECONDARY)
    if not marks:
        return marks
    while True:
        if _classic_rule(grid, marks):
            continue
        solved = _determined_cells(grid, set(marks))
        extra = _protect(grid, marks, solved, _classic_key)
        if extra is None:
            pinned = pinned_cells(grid, marks, threshold)
            extra = _protect(grid, marks, pinned, _bounds_key)
            if extra is None and (solved or pinned):
                # Nothing left to hide and still exposed: withhold the whole table.
                rows, cols = grid.shape
                return {(i, j): WITHHELD for i in range(rows) for j in range(cols)}
        if extra is None:
            return marks
        marks[extra] = SECONDARY


def pinned_cells(grid: Grid, marks: dict[Cell, str], threshold: int) -> list[Cell]:
    """Primary cells the ranges of the hidden cells pin down (see `bokvar.bounds`)."""
    common: dict[str, Any] = {
        "equations": grid.equations,
        "sides": grid.sides,
        "marks": marks,
        "threshold": threshold,
    }
    if grid.people is None:
        return bounds.pinned_primary_cells(values=grid.values, slack=grid.slack, **common)
    money = bounds.pinned_primary_cells(
        values=grid.values, slack=grid.slack, domain=bounds.money_domain, **common
    )
    heads = bounds.pinned_primary_cells(values=grid.people, slack=grid.people_slack, **common)
    return sorted(set(money) | set(heads))


def _protect(grid: Grid, marks: dict[Cell, str], exposed: list[Cell], key: Key) -> Cell | None:
    """The cell to hide next for the first exposed cell: the best of its row and column,
    else (everything there hidden already) the best cell left anywhere in the grid."""
    if not exposed:
        return None
    for cell in exposed:
        extra = _next_smallest(grid, marks, _row_and_column_of(grid, cell), key)
        if extra is not None:
            return extra
    rows, cols = grid.shape
    return _next_smallest(grid, marks, [(i, j) for i in range(rows) for j in range(cols)], key)


def _classic_rule(grid: Grid, marks: dict[Cell, str]) -> bool:
    changed = False
    again = True
    while again:
        again = False
        for parts, total in grid.equations:
            line = [*parts, total]
            if sum(1 for cell in line if cell in marks) == 1:
                extra = _next_smallest(grid, marks, line, _classic_key)
                if extra is not None:
                    marks[extra] = SECONDARY
                    again = changed = True
    return changed


def _next_smallest(grid: Grid, marks: dict[Cell, str], line: list[Cell], key: Key) -> Cell | None:
    candidates = [cell for cell in line if cell not in marks]
    if not candidates:
        return None
    return min(candidates, key=lambda cell: key(grid, cell))


def _classic_key(grid: Grid, cell: Cell) -> tuple[bool, bool, int, Cell]:
    """Body cells before totals, non-zero before zero, smallest first."""
    value = grid.values[cell[0]][cell[1]]
    return (cell in grid.total_cells, value == 0, value, cell)


def _bounds_key(grid: Grid, cell: Cell) -> tuple[bool, bool, int, Cell]:
    """A hidden zero widens no range (a secondary cell is 0 or at least the threshold),
    so non-zero cells first, then body before totals, smallest first."""
    value = grid.values[cell[0]][cell[1]]
    return (value == 0, cell in grid.total_cells, value, cell)


def _row_and_column_of(grid: Grid, cell: Cell) -> list[Cell]:
    rows, cols = grid.shape
    i, j = cell
    return [(i, c) for c in range(cols)] + [(r, j) for r in range(rows)]


def _determined_cells(grid: Grid, hidden: set[Cell]) -> list[Cell]:
    """Hidden cells whose value the published cells and the equations pin down."""
    if not hidden:
        return []
    # The unpublished slack of a distinct total is one more unknown of its equation.
    unknowns: list[Any] = [*sorted(hidden), *(("slack", k) for k in sorted(grid.slack))]
    index = {cell: k for k, cell in enumerate(unknowns)}
    matrix: list[dict[int, int]] = []
    for k, (parts, total) in enumerate(grid.equations):
        row: dict[int, int] = {}
        for cell in parts:
            if cell in index:
                row[index[cell]] = row.get(index[cell], 0) + 1
        if total in index:
            row[index[total]] = row.get(index[total], 0) - 1
        if k in grid.slack:
            row[index[("slack", k)]] = row.get(index[("slack", k)], 0) - 1
        row = {col: v for col, v in row.items() if v}
        if row:
            matrix.append(row)
    # A variable is determined iff it is alone in a row of the reduced matrix.
    determined: list[Cell] = []
    for row in reduced_basis(matrix):
        if len(row) == 1:
            (col,) = row
            if unknowns[col] in hidden:
                determined.append(unknowns[col])
    return sorted(determined)


def reduced_basis(rows: list[dict[int, int]]) -> list[dict[int, int]]:
    """A fully reduced basis of the row space: each pivot column is non-zero in its own
    row only. Then a unit vector e_j lies in the row space exactly when some basis row is
    a multiple of it (its coefficient on each pivot column must be that row's weight).

    Exact and sparse: rows are {column: integer}, combined fraction-free and divided by
    their gcd, so nothing is rounded and only non-zero entries are touched (the equations
    of a table have a handful of cells each; a dense rational elimination was the bulk of
    the statistics' run time).
    """
    basis: dict[int, dict[int, int]] = {}
    for original in rows:
        row = dict(original)
        while True:
            col = next((c for c in row if c in basis), None)
            if col is None:
                break
            row = _eliminate(row, basis[col], col)
        if not row:
            continue
        pivot = min(row)
        for other_col, other in list(basis.items()):
            if pivot in other:
                basis[other_col] = _eliminate(other, row, pivot)
        basis[pivot] = row
    return list(basis.values())


def _eliminate(row: dict[int, int], by: dict[int, int], col: int) -> dict[int, int]:
    """`row` with column `col` cancelled by a multiple of `by` (integers, gcd-normalised)."""
    a, b = by[col], row[col]
    out = {c: a * v for c, v in row.items()}
    for c, v in by.items():
        out[c] = out.get(c, 0) - b * v
    out = {c: v for c, v in out.items() if v}
    divisor = 0
    for v in out.values():
        divisor = gcd(divisor, v)
    if divisor > 1:
        out = {c: v // divisor for c, v in out.items()}
    return out


def determined_cells(grid: Grid, hidden: set[Cell]) -> list[Cell]:
    """Public for tests and audits: hidden cells an attacker could still compute."""
    return _determined_cells(grid, hidden)


def share_percent(part: int, total: int, *, threshold: int) -> int | float | None:
    """A share of a total in per cent, coarsened over small totals.

    Below `threshold` the share is not shown; below 1,000 it is rounded to the
    nearest 10 % (as public HMIS reports do); above, to one decimal.
    """
    if total < threshold or total <= 0:
        return None
    value = 100 * part / total
    if total < 1000:
        return int(round(value / 10.0) * 10)
    return round(value, 1)


def change_percent(current: int | None, earlier: int | None) -> float | None:
    """Change from `earlier` to `current` in per cent, one decimal.

    Both numbers are already published, so the change reveals nothing new; it is
    left out when either is hidden or the earlier one is zero.
    """
    if current is None or earlier is None or earlier == 0:
        return None
    return round(100 * (current - earlier) / earlier, 1)
