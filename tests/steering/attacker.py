"""The reader of issue 18 as code: gathers every published cell and solves for the hidden ones.

Every cell the product publishes is turned into a linear expression over unknown
"atoms": the true count of one figure, one row (a unit, the district's unassigned row,
the municipality row), one column and one calendar month. A month cell is one atom; a
quarter, year, year-to-date or range of months is the sum of its months' atoms (the
figures that add up over time); a row total is the sum of its columns, the district row
the sum of the units. Figures that do not add up over time (people counted once over a
period, medians, forecasts) get one unknown per period and cell, linked only inside
their table. Stock figures (open at the end of the period) are an atom per month-end,
and tied to the flows by the identity open(M) = open(M-1) + new(M) - closed(M).

Each published number is an equation; a "<5" is the bounds 1..4; anything hidden is at
least 0. For every distinct hidden small count, `scipy.optimize.linprog` finds its
smallest and largest value consistent with everything; one value left means the count
was recovered.

The attacker knows the figure definitions (they are documented), not the data.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import csr_matrix, vstack

# Figures whose count over a period is the sum of its months' counts.
ADDITIVE = {
    "new_cases",
    "closed_cases",
    "signals_by_kind",
    "new_threats",
    "threat_outcomes",
    "takeovers",
    "handovers_between_units",
    "returns_to_homelessness",
    "evictions",
}
# Columns that add up over time inside figures that otherwise do not.
ADDITIVE_COLUMNS = {
    ("shelter_nights", "nights"),
    ("shelter_cost", "cost"),
    ("days_to_first_contact", "n"),
}
# Sums over people: (figure, sum column) -> (figure, people column) of the same rows.
SUMS = {
    ("shelter_nights", "nights"): ("shelter_nights", "people"),
    ("shelter_cost", "cost"): ("shelter_nights", "people"),
}
# Open at the end of the period, and the flows that move them.
STOCKS = {
    "open_cases": ("new_cases", "closed_cases"),
    "open_threats_by_stage": ("new_threats", "threat_outcomes"),
}
SKIP = {"handovers_by_pair"}  # its counts are the cells of handovers_between_units


def months_of(period: dict) -> list[tuple[int, int]]:
    start = date.fromisoformat(period["start"])
    end = date.fromisoformat(period["end"])
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _prev(month: tuple[int, int]) -> tuple[int, int]:
    y, m = month
    return (y - 1, 12) if m == 1 else (y, m - 1)


SMALL = re.compile(r"^<(\d+)$")


@dataclass
class Cell:
    expr: dict  # atom -> coefficient
    value: float | None  # published number, or None
    small: int | None  # threshold when shown as "<k"
    where: str  # for messages
    money: bool = False


@dataclass
class Attack:
    cells: list[Cell] = field(default_factory=list)
    identities: list[dict] = field(default_factory=list)  # expr == 0
    sums_over_few: list[str] = field(default_factory=list)  # published sums over 1..k-1 people

    # --- gathering ------------------------------------------------------------------

    def add_report(self, report: dict, *, source: str, version: str = "live") -> None:
        period = report["period"]
        months = months_of(period)
        for figure in report["figures"]:
            if (
                figure["key"] in SKIP
                or figure["kind"] == "median"
                and figure["key"] not in {"days_to_first_contact"}
            ):
                continue
            self._add_figure(figure, period, months, source, version)

    def _atom(self, version, key, row, col, month):
        return (version, key, row, col, month)

    def _row_key(self, row: dict) -> str:
        if row.get("unassigned"):
            return "__unassigned__"
        return row["label"]

    def _add_figure(self, figure, period, months, source, version):
        key = figure["key"]
        cols = [c["key"] for c in figure["columns"]]
        body_cols = [c for c in cols if c != "total"]
        rows = [self._row_key(r) for r in figure["rows"]]
        where = f"{source} {period['key']} {key}"

        def expr_for(row_keys, col):
            """Expression of one published cell over the body rows `row_keys`."""
            out: dict = defaultdict(float)
            parts = body_cols if col == "total" else [col]
            for rk in row_keys:
                for c in parts:
                    if key in STOCKS:
                        out[self._atom(version, key, rk, c, months[-1])] += 1
                    elif key in ADDITIVE or (key, c) in ADDITIVE_COLUMNS:
                        for m in months:
                            out[self._atom(version, key, rk, c, m)] += 1
                    else:
                        # Counted on its own for the period: a free unknown per cell.
                        out[(version, key, rk, c, period["key"])] += 1
            return dict(out)

        def distinct_total(col):
            # A distinct count (people, households) for the district is not the sum of
            # the units: its own unknown, at most the sum of the units' cells.
            return not (key in ADDITIVE or key in STOCKS or (key, col) in ADDITIVE_COLUMNS)

        lines = [(rk, r["cells"]) for rk, r in zip(rows, figure["rows"], strict=True)]
        for rk, cells in lines:
            for col, cell in zip(cols, cells, strict=True):
                self._publish(expr_for([rk], col), cell, f"{where} row={rk} col={col}", figure)
        for col, cell in zip(cols, figure["total"]["cells"], strict=True):
            if distinct_total(col):
                expr = {(version, key, "__district__", col, period["key"]): 1.0}
            else:
                expr = expr_for(rows, col)
            self._publish(expr, cell, f"{where} district col={col}", figure)
        if figure.get("unassigned"):
            for col, cell in zip(cols, figure["unassigned"]["cells"], strict=True):
                self._publish(
                    expr_for(["__municipality__"], col),
                    cell,
                    f"{where} municipality col={col}",
                    figure,
                )
        self._sums_over_few(figure, lines, cols, where)

    def _sums_over_few(self, figure, lines, cols, where):
        for (fig, sum_col), (people_fig, people_col) in SUMS.items():
            if figure["key"] != fig or people_fig != fig or people_col not in cols:
                continue
            s, p = cols.index(sum_col), cols.index(people_col)
            for rk, cells in lines:
                people = cells[p]
                few = people["value"] is not None and 0 < people["value"] < 5
                few = few or bool(SMALL.match(str(people["display"])))
                if few and cells[s]["value"] is not None:
                    self.sums_over_few.append(f"{where} row={rk} {sum_col}={cells[s]['value']}")
        if figure["kind"] in ("money", "nights"):
            for rk, cells in lines:
                for cell in cells:
                    people = cell.get("people")
                    if cell["value"] is not None and people is not None and 0 < people < 5:
                        self.sums_over_few.append(f"{where} row={rk} sum={cell['value']}")

    def _publish(self, expr, cell, where, figure):
        if not expr:
            return
        money = figure["kind"] in ("money", "nights")
        small = SMALL.match(str(cell.get("display", "")))
        if cell["value"] is not None:
            self.cells.append(Cell(expr, float(cell["value"]), None, where, money))
        elif small and not money:
            self.cells.append(Cell(expr, None, int(small.group(1)), where, money))
        else:
            self.cells.append(Cell(expr, None, None, where, money))

    def add_stock_identities(self, versions=("live",)) -> None:
        """open(M) - open(M-1) = new(M) - closed(M), per row of the stock table and for the
        district, over every month seen."""
        atoms = {c for cell in self.cells for c in cell.expr}
        for version in versions:
            for stock, (new, closed) in STOCKS.items():
                stock_atoms = [a for a in atoms if a[0] == version and a[1] == stock]
                rows = {a[2] for a in stock_atoms}
                months = sorted({a[4] for a in stock_atoms if isinstance(a[4], tuple)})
                cols = {a[3] for a in stock_atoms}
                flow_rows = {a[2] for a in atoms if a[0] == version and a[1] in (new, closed)}
                new_cols = {a[3] for a in atoms if a[1] == new}
                closed_cols = {a[3] for a in atoms if a[1] == closed}
                groups = [[r] for r in rows if r in flow_rows]
                groups.append(sorted(flow_rows | rows))  # the district
                for m in months:
                    p = _prev(m)
                    if p not in months:
                        continue
                    for group in groups:
                        expr: dict = defaultdict(float)
                        for r in group:
                            if r not in rows and len(group) == 1:
                                continue
                            for c in cols:
                                if r in rows:
                                    expr[(version, stock, r, c, m)] += 1
                                    expr[(version, stock, r, c, p)] -= 1
                            for c in new_cols:
                                expr[(version, new, r, c, m)] -= 1
                            for c in closed_cols:
                                expr[(version, closed, r, c, m)] += 1
                        self.identities.append(dict(expr))

    # --- solving --------------------------------------------------------------------

    def solve(self) -> dict:
        """Bounds of every distinct hidden small count: {expr key: (min, max, k, where)}."""
        eq_rows, eq_vals, lo_rows, lo_vals, hi_rows, hi_vals = [], [], [], [], [], []
        targets = {}
        for cell in self.cells:
            if cell.money:
                continue
            if cell.value is not None:
                eq_rows.append(cell.expr)
                eq_vals.append(cell.value)
            elif cell.small is not None:
                lo_rows.append(cell.expr)
                lo_vals.append(1)
                hi_rows.append(cell.expr)
                hi_vals.append(cell.small - 1)
                targets.setdefault(_key(cell.expr), (cell.expr, cell.small, cell.where))
        for ident in self.identities:
            eq_rows.append(ident)
            eq_vals.append(0.0)
        fixed = _presolve(eq_rows, eq_vals)
        comps = _components([*eq_rows, *lo_rows], fixed)
        # Each row's free atoms lie in one component (`_components` joined them), so the
        # rows are sorted into their components once; building every component's system
        # by scanning all the rows again (some 400 components) was most of the solve.
        eq_by = _rows_by_component(eq_rows, eq_vals, fixed, comps)
        lo_by = _rows_by_component(lo_rows, lo_vals, fixed, comps)
        hi_by = _rows_by_component(hi_rows, hi_vals, fixed, comps)
        systems: dict = {}
        results = {}
        for tkey, (expr, k, where) in targets.items():
            free = [a for a in expr if a not in fixed]
            const = sum(coef * fixed[a] for a, coef in expr.items() if a in fixed)
            if not free:
                results[tkey] = (const, const, k, where)
                continue
            comp = comps.find(free[0])
            if comp not in systems:
                systems[comp] = _system(
                    fixed, eq_by.get(comp, []), lo_by.get(comp, []), hi_by.get(comp, [])
                )
            low, high = _bounds(expr, fixed, systems[comp])
            results[tkey] = (low, high, k, where)
        return results


def _key(expr: dict):
    return tuple(sorted((str(a), c) for a, c in expr.items() if c))


def _presolve(eq_rows, eq_vals) -> dict:
    """Atoms fixed by equations with one unknown left, or by a sum of zero."""
    fixed: dict = {}
    changed = True
    while changed:
        changed = False
        for expr, value in zip(eq_rows, eq_vals, strict=True):
            free = [(a, c) for a, c in expr.items() if a not in fixed and c]
            if not free:
                continue
            rest = value - sum(c * fixed[a] for a, c in expr.items() if a in fixed)
            if len(free) == 1:
                atom, coef = free[0]
                fixed[atom] = rest / coef
                changed = True
            elif abs(rest) < 1e-9 and all(c > 0 for _, c in free):
                for atom, _ in free:
                    fixed[atom] = 0.0
                changed = True
    return fixed


class _UnionFind:
    def __init__(self):
        self.parent: dict = {}

    def find(self, a):
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def _components(rows, fixed) -> _UnionFind:
    uf = _UnionFind()
    for expr in rows:
        free = [a for a in expr if a not in fixed]
        for a in free:
            uf.find(a)
        for a, b in zip(free, free[1:], strict=False):
            uf.union(a, b)
    return uf


def _rows_by_component(rows, vals, fixed, comps) -> dict:
    """{component: [(expr, value), ...]} of the rows with a free atom, in their order."""
    out: dict = {}
    for expr, value in zip(rows, vals, strict=True):
        # Free as `_components` has it (a zero coefficient too), so the atoms are the same.
        free = [a for a in expr if a not in fixed]
        if free:
            out.setdefault(comps.find(free[0]), []).append((expr, value))
    return out


def _system(fixed, eq_rows, lo_rows, hi_rows):
    """One component's linear system: (atom index, A_eq, b_eq, A_ub, b_ub)."""
    atoms = sorted({a for r, _ in [*eq_rows, *lo_rows] for a in r if a not in fixed}, key=str)
    index = {a: i for i, a in enumerate(atoms)}

    def matrix(rows):
        data, ri, ci, rhs = [], [], [], []
        n = 0
        for expr_, value in rows:
            free = [(a, c) for a, c in expr_.items() if a in index and c]
            if not free:
                continue
            for a, c in free:
                data.append(c)
                ri.append(n)
                ci.append(index[a])
            rhs.append(value - sum(c * fixed[a] for a, c in expr_.items() if a in fixed))
            n += 1
        shape = (n, len(atoms))
        return (csr_matrix((data, (ri, ci)), shape=shape), np.array(rhs)) if n else (None, None)

    a_eq, b_eq = matrix(eq_rows)
    a_hi, b_hi = matrix(hi_rows)
    a_lo, b_lo = matrix(lo_rows)
    if a_lo is not None:
        a_ub = -a_lo if a_hi is None else vstack([a_hi, -a_lo])
        b_ub = -b_lo if b_hi is None else np.concatenate([b_hi, -b_lo])
    else:
        a_ub, b_ub = a_hi, b_hi
    return index, a_eq, b_eq, a_ub, b_ub


def _bounds(expr, fixed, system):
    """The smallest and largest value of `expr` in its component's system."""
    index, a_eq, b_eq, a_ub, b_ub = system
    c = np.zeros(len(index))
    const = 0.0
    for a, coef in expr.items():
        if a in fixed:
            const += coef * fixed[a]
        else:
            c[index[a]] += coef
    out = []
    for sign in (1, -1):
        res = linprog(
            sign * c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
        )
        if res.status != 0:
            out.append(math.nan)
        else:
            out.append(sign * res.fun + const)
    return out[0], out[1]


def recovered(results: dict) -> list[tuple]:
    """Hidden small counts left with one possible whole value."""
    found = []
    for low, high, _k, where in results.values():
        if math.isnan(low) or math.isnan(high):
            continue
        if math.floor(high + 1e-6) - math.ceil(low - 1e-6) < 1:
            found.append((round(low), where))
    return found


def narrowed(results: dict) -> list[tuple]:
    """Hidden small counts whose range is narrower than 1..k-1 (not necessarily pinned)."""
    out = []
    for low, high, k, where in results.values():
        if math.isnan(low) or math.isnan(high):
            continue
        if low > 1 + 1e-6 or high < k - 1 - 1e-6:
            out.append((low, high, where))
    return out
