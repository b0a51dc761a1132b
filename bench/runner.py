"""Time a scenario: median and 95th percentile, SQL queries per call, and the ratio
to the floor (the same result from one hand-written SQL query)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext


@dataclass
class Scenario:
    name: str
    run: Callable[[], object]
    floor_sql: str | None = None
    floor_params: list = field(default_factory=list)
    budget_ms: float | None = None
    # For jobs: how many items one run handles, to report a rate.
    items: int | None = None
    min_rate: float | None = None
    repeat: int | None = None
    # Run before every timed run (e.g. to undo what a job did), not timed.
    setup: Callable[[], object] | None = None
    # Jobs that change data are not run an extra time just to count queries.
    capture_queries: bool = True


@dataclass
class Result:
    name: str
    runs: int
    median_ms: float
    p95_ms: float
    queries: int
    floor_ms: float | None
    ratio_to_floor: float | None
    budget_ms: float | None
    rate_per_s: float | None
    min_rate: float | None
    within_budget: bool

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(scenario: Scenario, *, repeat: int, warmup: int = 2) -> Result:
    runs = scenario.repeat or repeat
    queries = -1
    if scenario.capture_queries:
        # The setup runs before every run, warm-up and counted ones too, so a scenario
        # that starts from a cold state (no snapshot) is counted cold.
        for _ in range(warmup if runs > 1 else 0):
            if scenario.setup:
                scenario.setup()
            scenario.run()
        if scenario.setup:
            scenario.setup()
        with CaptureQueriesContext(connection) as ctx:
            scenario.run()
        queries = len(ctx)
    timings = []
    for _ in range(runs):
        if scenario.setup:
            scenario.setup()
        started = time.perf_counter()
        scenario.run()
        timings.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    p95 = percentile(timings, 0.95)
    floor = None
    if scenario.floor_sql:
        floor_times = []
        with connection.cursor() as cursor:
            for _ in range(max(5, runs)):
                started = time.perf_counter()
                cursor.execute(scenario.floor_sql, scenario.floor_params)
                cursor.fetchall()
                floor_times.append((time.perf_counter() - started) * 1000)
        floor = statistics.median(floor_times)
    rate = scenario.items / (median / 1000) if scenario.items and median else None
    within = True
    if scenario.budget_ms is not None:
        within = p95 <= scenario.budget_ms
    if scenario.min_rate is not None and rate is not None:
        within = within and rate >= scenario.min_rate
    return Result(
        name=scenario.name,
        runs=runs,
        median_ms=round(median, 2),
        p95_ms=round(p95, 2),
        queries=queries,
        floor_ms=round(floor, 3) if floor is not None else None,
        ratio_to_floor=round(median / floor, 1) if floor else None,
        budget_ms=scenario.budget_ms,
        rate_per_s=round(rate) if rate else None,
        min_rate=scenario.min_rate,
        within_budget=within,
    )
