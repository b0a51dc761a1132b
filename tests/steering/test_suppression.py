"""Suppression: no hidden cell can be worked out from the published table."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steering import suppression
from steering.suppression import PRIMARY, build_grid, determined_cells, reduced_basis, suppress

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
                assert marks.get((i, j)) in (PRIMARY, suppression.WITHHELD)
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
                assert marks.get((i, j)) in (PRIMARY, suppression.WITHHELD)
    assert determined_cells(grid, set(marks)) == []


def test_percentages():
    assert suppression.share_percent(3, 4, threshold=5) is None
    assert suppression.share_percent(13, 40, threshold=5) == 30  # 32.5 % over 40
    assert suppression.share_percent(117, 999, threshold=5) == 10
    assert suppression.share_percent(135, 1000, threshold=5) == 13.5
    assert suppression.change_percent(811, 938) == -13.5
    assert suppression.change_percent(None, 938) is None
    assert suppression.change_percent(5, 0) is None


# --- Bounds: a "<5" cell holds 1..4, a secondary one 0 or at least 5 -------------------


def _domains(grid, marks):
    """What an attacker knows of each hidden cell (ranges, before the equations)."""
    cap = sum(v for row in grid.values for v in row) + THRESHOLD + 1
    out = {}
    for cell, mark in marks.items():
        if mark == PRIMARY:
            out[cell] = list(range(1, THRESHOLD))
        else:
            out[cell] = [0, *range(THRESHOLD, cap + 1)]
    return out


def _solution_exists(grid, marks, fixed):
    """Independent brute force: is there a whole-number filling of the hidden cells
    within their ranges that agrees with every published cell, with `fixed` imposed?"""
    domains = _domains(grid, marks)
    published = {
        (i, j): v
        for i, row in enumerate(grid.values)
        for j, v in enumerate(row)
        if (i, j) not in marks
    }
    lines = [([(c, 1) for c in parts] + [(total, -1)]) for parts, total in grid.equations]

    def feasible(assigned):
        for line in lines:
            low = high = 0
            for cell, coef in line:
                if cell in published or cell in assigned:
                    value = published.get(cell, assigned.get(cell))
                    low += coef * value
                    high += coef * value
                else:
                    lo, hi = min(domains[cell]), max(domains[cell])
                    low += min(coef * lo, coef * hi)
                    high += max(coef * lo, coef * hi)
            if not low <= 0 <= high:
                return False
        return True

    allowed = {cell: set(values) for cell, values in domains.items()}

    def forced(assigned):
        """Fill every cell that is the last unknown of a line; None on a contradiction."""
        assigned = dict(assigned)
        again = True
        while again:
            again = False
            for line in lines:
                unknown = [(c, k) for c, k in line if c not in published and c not in assigned]
                if len(unknown) != 1:
                    continue
                cell, coef = unknown[0]
                rest = sum(k * published.get(c, assigned.get(c, 0)) for c, k in line if c != cell)
                value = -rest * coef
                if value not in allowed[cell]:
                    return None
                assigned[cell] = value
                again = True
        return assigned

    def search(assigned):
        assigned = forced(assigned)
        if assigned is None or not feasible(assigned):
            return False
        rest = [c for c in domains if c not in assigned]
        if not rest:
            return True
        cell = min(rest, key=lambda c: len(domains[c]))
        return any(search({**assigned, cell: v}) for v in domains[cell])

    return search(dict(fixed))


def _pinned_by_enumeration(grid, marks):
    pinned = []
    for cell, mark in marks.items():
        if mark != PRIMARY:
            continue
        true = grid.values[cell[0]][cell[1]]
        others = [v for v in range(1, THRESHOLD) if v != true]
        if not any(_solution_exists(grid, marks, {cell: v}) for v in others):
            pinned.append(cell)
    return pinned


def test_bounds_examples_from_the_audit_are_protected():
    # Two "<5" cells and a published 20 under a published total of 28: both must be 4.
    grid = build_grid([[4], [4], [20]], row_totals=False)
    naive = {(0, 0): PRIMARY, (1, 0): PRIMARY}
    assert suppression.pinned_cells(grid, naive, THRESHOLD) == [(0, 0), (1, 0)]
    assert _pinned_by_enumeration(grid, naive) == [(0, 0), (1, 0)]
    marks = suppress(grid, THRESHOLD)
    assert marks[(2, 0)] == suppression.SECONDARY
    assert _pinned_by_enumeration(grid, marks) == []
    # A body row 4, 5, 4 with its total shown gives the same away.
    grid = build_grid([[4, 5, 4], [30, 30, 30]], row_totals=True)
    marks = suppress(grid, THRESHOLD)
    assert {(0, 0), (0, 2)} <= {c for c, m in marks.items() if m == PRIMARY}
    assert _pinned_by_enumeration(grid, marks) == []
    assert suppression.pinned_cells(grid, marks, THRESHOLD) == []


def test_a_table_that_cannot_be_protected_is_withheld_whole():
    # Four "<5" cells under a "<5" total: each at least 1, together at most 4, so all 1,
    # even with every cell hidden. Nothing of it is published, not even where "<5" is.
    grid = build_grid([[1, 1], [1, 1]], row_totals=True)
    marks = suppress(grid, THRESHOLD)
    assert set(marks.values()) == {suppression.WITHHELD}
    assert len(marks) == 9
    # Three cells of 1 under a total of 3 can still be 1, 1, 2 under a total of 4.
    marks = suppress(build_grid([[1], [1], [1]], row_totals=False), THRESHOLD)
    assert set(marks.values()) == {PRIMARY}


def test_a_hidden_zero_does_not_count_as_protection():
    # 3 + a hidden 0 = 3: a secondary cell is 0 or at least 5, so the 3 is known.
    grid = build_grid([[3, 0, 40], [20, 30, 40]], row_totals=True)
    naive = {
        (0, 0): PRIMARY,
        (0, 1): suppression.SECONDARY,
        (2, 0): suppression.SECONDARY,
        (2, 1): suppression.SECONDARY,
        (1, 0): suppression.SECONDARY,
        (1, 1): suppression.SECONDARY,
    }
    assert (0, 0) in _pinned_by_enumeration(grid, naive)
    assert (0, 0) in suppression.pinned_cells(grid, naive, THRESHOLD)
    marks = suppress(grid, THRESHOLD)
    assert _pinned_by_enumeration(grid, marks) == []


small_bodies = st.lists(
    st.lists(st.one_of(st.integers(0, 5), st.integers(0, 12)), min_size=1, max_size=3),
    min_size=1,
    max_size=4,
).map(lambda rows: [r[: min(len(x) for x in rows)] for r in rows])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=small_bodies, row_totals=st.booleans(), column_totals=st.booleans())
def test_no_primary_cell_has_only_one_possible_value(body, row_totals, column_totals):
    grid = build_grid(body, row_totals=row_totals, column_totals=column_totals)
    marks = suppress(grid, THRESHOLD)
    assert _pinned_by_enumeration(grid, marks) == []
    assert suppression.pinned_cells(grid, marks, THRESHOLD) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=small_bodies, row_totals=st.booleans(), data=st.data())
def test_bounds_audit_agrees_with_enumeration(body, row_totals, data):
    """The audit's answer for an arbitrary choice of hidden cells (not only the ones
    `suppress` picks) matches the brute force: it never passes a pinned cell."""
    grid = build_grid(body, row_totals=row_totals)
    primary = suppression.primary_cells(grid, THRESHOLD)
    rest = sorted(
        (i, j)
        for i, row in enumerate(grid.values)
        for j, _ in enumerate(row)
        if (i, j) not in primary
    )
    extra = data.draw(st.sets(st.sampled_from(rest), max_size=3)) if rest else set()
    marks = {c: PRIMARY for c in primary} | {c: suppression.SECONDARY for c in extra}
    audit = set(suppression.pinned_cells(grid, marks, THRESHOLD))
    brute = set(_pinned_by_enumeration(grid, marks))
    # The audit works on narrower ranges (a hidden secondary cell is taken as 0 when it
    # is 0 and as at least the threshold otherwise, while the attacker must allow both):
    # it may hide more, never less. E.g. one column [1, 1, 5] with only its total 7
    # published and the 5 hidden: the audit pins both 1s (5 + 1 + 1), the attacker
    # cannot (0 + 3 + 4 fits too).
    assert brute <= audit


def _unit_vectors_in_row_space(rows: list[list[int]], width: int) -> set[int]:
    """The oracle: dense rational Gauss–Jordan, the textbook way."""
    from fractions import Fraction

    matrix = [[Fraction(v) for v in row] for row in rows]
    pivot_row = 0
    for col in range(width):
        pivot = next((r for r in range(pivot_row, len(matrix)) if matrix[r][col]), None)
        if pivot is None:
            continue
        matrix[pivot_row], matrix[pivot] = matrix[pivot], matrix[pivot_row]
        lead = matrix[pivot_row][col]
        matrix[pivot_row] = [v / lead for v in matrix[pivot_row]]
        for r in range(len(matrix)):
            if r != pivot_row and matrix[r][col]:
                factor = matrix[r][col]
                matrix[r] = [
                    a - factor * b for a, b in zip(matrix[r], matrix[pivot_row], strict=True)
                ]
        pivot_row += 1
    alone = set()
    for row in matrix[:pivot_row]:
        nonzero = [k for k, v in enumerate(row) if v]
        if len(nonzero) == 1:
            alone.add(nonzero[0])
    return alone


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=1, max_value=9).flatmap(
        lambda width: st.tuples(
            st.just(width),
            st.lists(
                st.lists(st.integers(min_value=-2, max_value=2), min_size=width, max_size=width),
                max_size=10,
            ),
        )
    )
)
def test_the_sparse_elimination_finds_what_rational_gauss_jordan_finds(case):
    width, rows = case
    sparse = [{k: v for k, v in enumerate(row) if v} for row in rows]
    basis = reduced_basis(sparse)
    found = {next(iter(row)) for row in basis if len(row) == 1}
    assert found == _unit_vectors_in_row_space(rows, width)
    # A basis: as many rows as the rank, each pivot column in one row only.
    assert len(basis) == len(_rank_rows(rows, width))


def _rank_rows(rows: list[list[int]], width: int) -> list[int]:
    from fractions import Fraction

    matrix = [[Fraction(v) for v in row] for row in rows]
    rank = 0
    for col in range(width):
        pivot = next((r for r in range(rank, len(matrix)) if matrix[r][col]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        for r in range(rank + 1, len(matrix)):
            factor = matrix[r][col] / matrix[rank][col]
            matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[rank], strict=True)]
        rank += 1
    return list(range(rank))


def test_a_tables_answer_is_worked_out_once_and_only_for_the_same_table(monkeypatch):
    from bokvar import bounds

    audits = []
    real = bounds.pinned_primary_cells
    monkeypatch.setattr(bounds, "pinned_primary_cells", lambda **kw: audits.append(1) or real(**kw))
    body = [[3, 11, 0], [7, 2, 9], [13, 6, 4]]
    first = suppress(build_grid(body, row_totals=True), THRESHOLD)
    worked = len(audits)
    assert worked and first
    first[(0, 0)] = "changed by the caller"
    again = suppress(build_grid(body, row_totals=True), THRESHOLD)
    assert len(audits) == worked  # given again, not worked out again
    assert again[(0, 0)] == PRIMARY  # and not as the caller changed it
    # Anything the answer depends on makes another table: the threshold, the forced
    # cells, a value, the totals.
    assert suppress(build_grid(body, row_totals=True), 10) != again
    shown = next((i, j) for i in range(4) for j in range(4) if (i, j) not in again)
    assert shown in suppress(build_grid(body, row_totals=True), THRESHOLD, {shown})
    other = [[3, 11, 0], [7, 2, 9], [13, 6, 40]]
    assert suppress(build_grid(other, row_totals=True), THRESHOLD) != again
    assert suppress(build_grid(body, row_totals=False), THRESHOLD) != again
    assert len(audits) > worked
