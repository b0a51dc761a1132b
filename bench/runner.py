"""Time a scenario: median and 95th percentile, SQL queries per call, and its floors.

Two floors, named apart:
- the SQL floor (`floor_ms`, `ratio_to_floor`): the scenario's result from one
  hand-written SQL query, run on the database connection alone;
- for pages, the framework floor (`framework_floor_ms`, `ratio_to_framework_floor`;
  bench.floors): the same query's rows rendered by a bare template through the same
  middleware stack and sign-in, i.e. what Django itself costs for the page.

A page meets issue 22's point 2 when each of its requests makes at most
`floors.MAX_QUERIES` queries (`queries_per_request`; a search is two requests, its post
and its result page) and its median is within `floors.MAX_RATIO` times its framework
floor (`near_floor`)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.core.signals import request_started
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .floors import MAX_QUERIES, MAX_RATIO


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
    # Pages: a run of the framework floor (bench.floors.request).
    framework_floor: Callable[[], object] | None = None


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
    # Pages only (None for jobs): the framework floor, the ratio to it, and whether the
    # page is within issue 22's limits (queries and ratio).
    framework_floor_ms: float | None = None
    ratio_to_framework_floor: float | None = None
    near_floor: bool | None = None
    framework_floor_queries: int | None = None
    # The most queries one request of the scenario made (a search: its post, its page).
    queries_per_request: int | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(scenario: Scenario, *, repeat: int, warmup: int = 2) -> Result:
    runs = scenario.repeat or repeat
    queries = most_in_one_request = -1
    if scenario.capture_queries:
        # The setup runs before every run, warm-up and counted ones too, so a scenario
        # that starts from a cold state (no snapshot) is counted cold.
        for _ in range(warmup if runs > 1 else 0):
            if scenario.setup:
                scenario.setup()
            scenario.run()
        if scenario.setup:
            scenario.setup()
        starts: list[int] = []

        def request_began(**kwargs: object) -> None:
            starts.append(len(ctx.captured_queries))

        # A page's queries are counted per request too: a search posts, then opens the
        # result page (two requests, each a round trip of its own).
        request_started.connect(request_began)
        try:
            with CaptureQueriesContext(connection) as ctx:
                scenario.run()
        finally:
            request_started.disconnect(request_began)
        queries = len(ctx)
        bounds = [*starts, queries]
        most_in_one_request = max(
            (b - a for a, b in zip(bounds, bounds[1:], strict=False)), default=queries
        )
    timings: list[float] = []
    floor_times: list[float] = []
    floor_queries = None
    if scenario.framework_floor is not None:
        for _ in range(warmup):
            scenario.framework_floor()
        with CaptureQueriesContext(connection) as ctx:
            scenario.framework_floor()
        floor_queries = len(ctx)
    for _ in range(runs):
        if scenario.setup:
            scenario.setup()
        started = time.perf_counter()
        scenario.run()
        timings.append((time.perf_counter() - started) * 1000)
        if scenario.framework_floor is not None:
            # Right after the page, so both see the same (shared) machine.
            started = time.perf_counter()
            scenario.framework_floor()
            floor_times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(timings)
    p95 = percentile(timings, 0.95)
    floor = None
    if scenario.floor_sql:
        sql_times = []
        with connection.cursor() as cursor:
            for _ in range(max(5, runs)):
                started = time.perf_counter()
                cursor.execute(scenario.floor_sql, scenario.floor_params)
                cursor.fetchall()
                sql_times.append((time.perf_counter() - started) * 1000)
        floor = statistics.median(sql_times)
    framework_floor = statistics.median(floor_times) if floor_times else None
    rate = scenario.items / (median / 1000) if scenario.items and median else None
    within = True
    if scenario.budget_ms is not None:
        within = p95 <= scenario.budget_ms
    if scenario.min_rate is not None and rate is not None:
        within = within and rate >= scenario.min_rate
    ratio_framework = round(median / framework_floor, 1) if framework_floor else None
    near = None
    if ratio_framework is not None:
        near = 0 <= most_in_one_request <= MAX_QUERIES and ratio_framework <= MAX_RATIO
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
        framework_floor_ms=round(framework_floor, 2) if framework_floor is not None else None,
        ratio_to_framework_floor=ratio_framework,
        near_floor=near,
        framework_floor_queries=floor_queries,
        queries_per_request=most_in_one_request if most_in_one_request >= 0 else None,
    )
