"""The longest tests start first, so no test process ends the run on one of them.

Under `--dist worksteal` each process gets a contiguous share of the collected order,
and a process that runs out takes the *end* of the other's queue. A long test near the
end of a queue (the concurrent clients drive for 30 s, the fresh install migrates an
empty database, the benchmark smoke tests) leaves one process working alone while the
other is idle. Started first, the long tests overlap the short ones, and the end of the
run is made of short tests that the two processes share out.

The times come from `tests/durations.json`, a checked-in list of the tests that took at
least `SLOW_SECONDS` (set-up, call and teardown) in a measured run of the whole suite;
`scripts/durations_from_junit.py` writes it from that run's `--junitxml`. A test missing from
it counts as short, so a new or renamed test only loses its place, never a run.

What stays as it was (`group_by_layers` in tests/shared_data.py): the tests that need no
database come first (one process runs them while another migrates a template whose
migrations changed, tests/template_db.py), and the tests sharing an expensive data layer
(`demo_seeded`, `district_seeded`) stay together: such a group moves as one block, with
the sum of its tests' times; the browser tests stay last (`in_browser`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DURATIONS_FILE = Path(__file__).with_name("durations.json")
# Tests shorter than this are not listed: their order does not decide when a run ends.
SLOW_SECONDS = 5.0


def load_durations(path: Path = DURATIONS_FILE) -> dict[str, float]:
    if not path.exists():
        return {}
    return {str(k): float(v) for k, v in json.loads(path.read_text()).items()}


def in_browser(item: pytest.Item) -> bool:
    """Browser tests stay last, as conftest.py orders them: in the subset runs measured
    under load, the one moved to the front of a process (its first browser test, on a
    cold server) twice timed out on the second-factor step."""
    return item.nodeid.startswith("tests/browser/")


def blocks(items: list[pytest.Item]) -> list[list[pytest.Item]]:
    """Consecutive tests sharing an expensive layer form one block, any other test its own."""
    from .shared_data import EXPENSIVE_LAYERS, wanted_layers

    result: list[list[pytest.Item]] = []
    previous: tuple[str, ...] = ()
    for item in items:
        key = tuple(name for name in wanted_layers(item) if name in EXPENSIVE_LAYERS)
        if key and key == previous and result:
            result[-1].append(item)
        else:
            result.append([item])
        previous = key
    return result


def longest_first(items: list[pytest.Item], durations: dict[str, float] | None = None) -> None:
    """Move the blocks with a listed time of at least SLOW_SECONDS to the front of their
    part of the run (the no-database tests, then the rest), longest first; everything
    else keeps its order."""
    from .shared_data import needs_database

    times = load_durations() if durations is None else durations
    if not times:
        return
    ordered: list[pytest.Item] = []
    for wants_database in (False, True):
        part = [item for item in items if needs_database(item) == wants_database]
        long_blocks, rest = [], []
        for block in blocks(part):
            seconds = sum(times.get(item.nodeid, 0.0) for item in block)
            if seconds >= SLOW_SECONDS and not any(in_browser(item) for item in block):
                long_blocks.append((seconds, block))
            else:
                rest.extend(block)
        long_blocks.sort(key=lambda pair: -pair[0])  # stable: equal times keep their order
        ordered.extend(item for _seconds, block in long_blocks for item in block)
        ordered.extend(rest)
    items[:] = ordered
