"""The bounds audit of suppression: can a hidden small count be pinned down by what an
attacker knows about the ranges of the hidden cells?

An attacker knows more than the equations of a table: a cell shown as "<5" holds 1–4,
a cell hidden as secondary holds 0 or at least 5 (every count from 1 to 4 is primary),
and every count is a whole number. `build_grid([[4], [4], [20]])` with the total 28
published and the 20 shown gives two "<5" cells that must both be 4, although no linear
equation isolates either of them.

This module finds every primary cell whose value is the only one consistent with the
published table. It works on a safe subset of the attacker's knowledge: a primary count
lies in 1..threshold-1; a secondary count that is 0 is taken as known to be 0 and one that
is larger as known to be at least the threshold; a sum of money (and the unpublished
difference between a sum of parts and a distinct total) is only known to be non-negative.
A cell that has a second possible value under these narrower ranges has one for the
attacker too, so the audit never passes a cell the attacker could pin.

The equations of a grid (rows and columns adding up to their totals) form a bipartite
graph: each equation is a node (row equations on one side, column equations on the other,
an equation-less end goes to one free "ground" node) and each hidden cell is an edge
between the (at most two) equations it appears in. After a change of sign for the totals,
every equation says "the cells at this node add up to a published number", a totally
unimodular system. Any other whole-number solution then differs from the true one by a
sum of alternating cycles (+1, -1, +1, ... around a cycle of the graph) each of which is
itself a feasible step. So a primary cell can take another value exactly when it lies on a
cycle along which every cell can move one step in its direction without leaving its range:
a path search in a small directed graph.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

Cell = tuple[int, int]
# A domain: what the attacker knows of a hidden value, (low, high), None for unbounded.
Domain = Callable[[int, str, int], tuple[int | None, int | None]]
# A variable of the audit is a hidden cell or ("slack", equation); a node an equation
# number or GROUND.
Var = Any
Node = Any

PRIMARY = "primary"
GROUND = "ground"


def count_domain(value: int, mark: str, threshold: int) -> tuple[int | None, int | None]:
    """What the audit assumes an attacker knows about a hidden count (a safe subset)."""
    if mark == PRIMARY:
        return (1, threshold - 1)
    if value == 0:
        return (0, 0)
    return (threshold, None)


def money_domain(value: int, mark: str, threshold: int) -> tuple[int | None, int | None]:
    """A sum of money is only known to be non-negative, whoever is behind it."""
    return (0, None) if value >= 0 else (None, None)


def pinned_primary_cells(
    *,
    values: list[list[int]],
    equations: list[tuple[list[Cell], Cell]],
    sides: list[str],
    slack: dict[int, int],
    marks: dict[Cell, str],
    threshold: int,
    domain: Domain = count_domain,
) -> list[Cell]:
    """The primary cells whose value is the only one the published table allows.

    `sides[k]` is "row" or "col" for equation k; `slack[k]` is the unpublished excess of
    equation k's parts over its total (a distinct count published as the total).
    """
    # Variables: the hidden cells and one slack per distinct total; each with the
    # equations it appears in and its coefficient there (+1 as a part, -1 as the total).
    incidences: dict[Var, list[tuple[int, int]]] = {cell: [] for cell in marks}
    ranges: dict[Var, tuple[int | None, int | None]] = {}
    current: dict[Var, int] = {}
    for cell, mark in marks.items():
        value = values[cell[0]][cell[1]]
        current[cell] = value
        ranges[cell] = domain(value, mark, threshold)
    for k, (parts, total) in enumerate(equations):
        for cell in parts:
            if cell in incidences:
                incidences[cell].append((k, 1))
        if total in incidences:
            incidences[total].append((k, -1))
        if k in slack:
            var = ("slack", k)
            incidences[var] = [(k, -1)]
            current[var] = slack[k]
            ranges[var] = (0, None)
    sign = _signs(incidences)
    arcs: list[tuple[Node, Node, Var]] = []  # (from node, to node, variable)
    ends: dict[Var, tuple[Node, Node]] = {}
    for var, incs in incidences.items():
        row_end = next((k for k, _ in incs if sides[k] == "row"), GROUND)
        col_end = next((k for k, _ in incs if sides[k] == "col"), GROUND)
        ends[var] = (row_end, col_end)
        low, high = ranges[var]
        value = current[var]
        can_up = high is None or value < high  # x + 1 stays in range
        can_down = low is None or value > low  # x - 1 stays in range
        # +1 on y = sign*x runs row end -> column end, -1 runs back.
        inc_y, dec_y = (can_up, can_down) if sign[var] > 0 else (can_down, can_up)
        if inc_y:
            arcs.append((row_end, col_end, var))
        if dec_y:
            arcs.append((col_end, row_end, var))
    # The arcs by the node they leave, read by every search below: a search then looks
    # at each arc once, not at every arc for each node it reaches.
    leaving: dict[Node, list[tuple[Node, Var]]] = {}
    for a, b, var in arcs:
        leaving.setdefault(a, []).append((b, var))
    pinned: list[Cell] = []
    for cell, mark in marks.items():
        if mark != PRIMARY:
            continue
        own = [(a, b) for a, b, var in arcs if var == cell]
        movable = any(_reaches(leaving, start=b, goal=a, without=cell) for a, b in own)
        if not movable:
            pinned.append(cell)
    return sorted(pinned)


def _signs(incidences: dict[Var, list[tuple[int, int]]]) -> dict[Var, int]:
    """Signs s(var), e(eq) with e*coef*s = +1 everywhere (a BFS over the incidences)."""
    by_eq: dict[int, list[tuple[Var, int]]] = {}
    for var, incs in incidences.items():
        for k, coef in incs:
            by_eq.setdefault(k, []).append((var, coef))
    var_sign: dict[Var, int] = {}
    eq_sign: dict[int, int] = {}
    for start in by_eq:
        if start in eq_sign:
            continue
        eq_sign[start] = 1
        queue = deque([start])
        while queue:
            k = queue.popleft()
            for var, coef in by_eq[k]:
                wanted = eq_sign[k] * coef
                if var in var_sign:
                    if var_sign[var] != wanted:
                        raise ValueError("the table's equations are not a two-way table")
                    continue
                var_sign[var] = wanted
                for other, c in incidences[var]:
                    if other != k and other not in eq_sign:
                        eq_sign[other] = wanted * c
                        queue.append(other)
                    elif other != k and eq_sign[other] * c * wanted != 1:
                        raise ValueError("the table's equations are not a two-way table")
    for var in incidences:
        var_sign.setdefault(var, 1)
    return var_sign


def _reaches(
    leaving: dict[Node, list[tuple[Node, Var]]], *, start: Node, goal: Node, without: Var
) -> bool:
    """Whether `goal` is reached from `start` over the arcs (`leaving`: by the node they
    leave) of every variable but `without`."""
    if start == goal:
        return True
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for b, var in leaving.get(node, ()):
            if var != without and b not in seen:
                if b == goal:
                    return True
                seen.add(b)
                queue.append(b)
    return False
