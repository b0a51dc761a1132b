"""Suppression: no hidden cell can be worked out from the published table."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steering import suppression
from steering.suppression import PRIMARY, build_grid, determined_cells, suppress

THRESHOLD = 5

# Small counts are what matters; mix in zeros and larger numbers.
counts = st.one_of(st.integers(0, 6), st.integers(0, 60))


@st.composite
def bodies(draw):
    rows = draw(st.integers(1, 7))
    cols = draw(st.integers(1, 5))
    return [[draw(counts) for _ in range(cols)] for _ in range(rows)]


def _lines(grid):
    return [[*parts, total] for parts, total in grid.equations]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies(), row_totals=st.booleans())
def test_no_hidden_cell_can_be_derived(body, row_totals):
    grid = build_grid(body, row_totals=row_totals)
    marks = suppress(grid, THRESHOLD)
    hidden = set(marks)
    # Every small count is hidden.
    for i, row in enumerate(grid.values):
        for j, value in enumerate(row):
            if 0 < value < THRESHOLD:
                assert marks.get((i, j)) == PRIMARY
    # No line (a row or column with its total) holds exactly one hidden cell ...
    for line in _lines(grid):
        assert sum(1 for cell in line if cell in hidden) != 1, line
    # ... and the equations of the table pin down no hidden cell at all.
    assert determined_cells(grid, hidden) == []


def _brute_force_determined(grid, hidden):
    """Independent check by elimination without the module's own solver: a hidden
    cell is determined if its value is the same in every solution, i.e. if some
    combination of the equations isolates it. Tested via a perturbation: find a
    non-zero vector in the null space touching the cell."""
    import itertools
    from fractions import Fraction

    unknowns = sorted(hidden)
    index = {c: k for k, c in enumerate(unknowns)}
    rows = []
    for parts, total in grid.equations:
        r = [Fraction(0)] * len(unknowns)
        for c in parts:
            if c in index:
                r[index[c]] += 1
        if total in index:
            r[index[total]] -= 1
        rows.append(r)
    # Null-space vectors with entries in {-1, 0, 1} suffice for these 0/±1 systems
    # of small size; try them all.
    free = []
    for vec in itertools.product((-1, 0, 1), repeat=len(unknowns)):
        if any(vec) and all(sum(a * b for a, b in zip(r, vec, strict=True)) == 0 for r in rows):
            free.append(vec)
    return [c for c in unknowns if not any(v[index[c]] for v in free)]


@settings(max_examples=60, deadline=None)
@given(
    body=st.lists(
        st.lists(st.integers(0, 12), min_size=2, max_size=3), min_size=2, max_size=3
    ).filter(lambda b: len({len(r) for r in b}) == 1)
)
def test_solver_agrees_with_brute_force(body):
    grid = build_grid(body, row_totals=True)
    hidden = set(suppress(grid, THRESHOLD))
    if len(hidden) > 9:
        return
    assert _brute_force_determined(grid, hidden) == []


def test_threshold_boundary_four_hidden_five_shown():
    grid = build_grid([[4, 5, 20], [30, 40, 50]], row_totals=True)
    marks = suppress(grid, THRESHOLD)
    assert marks[(0, 0)] == PRIMARY
    assert (0, 1) in marks  # the next-smallest of the row hides with it
    assert marks[(0, 1)] == suppression.SECONDARY
    grid = build_grid([[5, 6, 20], [30, 40, 50]], row_totals=True)
    assert suppress(grid, THRESHOLD) == {}


def test_zero_is_shown_and_threshold_is_configurable():
    grid = build_grid([[0, 9], [12, 7]], row_totals=True)
    assert suppress(grid, THRESHOLD) == {}
    assert (1, 1) in suppress(build_grid([[0, 9], [12, 7]], row_totals=True), 10)


def test_bridge_cell_is_caught_by_the_audit():
    # Two blocks of small cells joined by one small cell: every row and column has
    # two hidden cells under the classic rule, yet the joining cell is determined
    # unless the audit hides more. The audit must leave nothing determined.
    body = [
        [1, 1, 2, 0, 50],
        [1, 1, 0, 0, 60],
        [0, 0, 1, 1, 70],
        [0, 0, 1, 1, 80],
        [90, 90, 90, 90, 90],
    ]
    grid = build_grid(body, row_totals=True)
    hidden = set(suppress(grid, THRESHOLD))
    assert determined_cells(grid, hidden) == []


@settings(max_examples=150, deadline=None)
@given(
    sums=st.lists(st.lists(st.integers(0, 20000), min_size=2, max_size=3), min_size=1, max_size=4),
    data=st.data(),
)
def test_money_hidden_over_few_people_and_not_derivable(sums, data):
    width = min(len(r) for r in sums)
    body = [r[:width] for r in sums]
    people = [[data.draw(st.integers(0, 8)) for _ in row] for row in body]
    body = [
        [v if n else 0 for v, n in zip(r, p, strict=True)]
        for r, p in zip(body, people, strict=True)
    ]
    grid = build_grid(body, people=people, row_totals=True)
    marks = suppress(grid, THRESHOLD)
    for i, row in enumerate(grid.people):
        for j, n in enumerate(row):
            if 0 < n < THRESHOLD:
                assert marks.get((i, j)) == PRIMARY
    assert determined_cells(grid, set(marks)) == []


def test_percentages():
    assert suppression.share_percent(3, 4, threshold=5) is None
    assert suppression.share_percent(13, 40, threshold=5) == 30  # 32.5 % over 40
    assert suppression.share_percent(117, 999, threshold=5) == 10
    assert suppression.share_percent(135, 1000, threshold=5) == 13.5
    assert suppression.change_percent(811, 938) == -13.5
    assert suppression.change_percent(None, 938) is None
    assert suppression.change_percent(5, 0) is None
