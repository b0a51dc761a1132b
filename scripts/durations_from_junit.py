"""Write tests/durations.json from a measured run of the whole suite.

    .venv/bin/python -m pytest -n 2 --dist worksteal --junitxml=/tmp/suite.xml
    .venv/bin/python scripts/durations_from_junit.py /tmp/suite.xml

The suite starts the tests listed there first, longest first (tests/scheduling.py), so
no test process ends the run on a long one. Each test's time in the file is its set-up,
call and teardown (pytest's default `junit_duration_report`); only the tests that took
at least `SLOW_SECONDS` are kept. Refresh it after a run on a quiet machine when the
slowest tests change.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def node_id(classname: str, name: str, root: Path = ROOT) -> str:
    """pytest's node id of a junit test case: `tests.x.test_y.TestZ` + `test_w[p]` ->
    `tests/x/test_y.py::TestZ::test_w[p]`."""
    parts = classname.split(".")
    for split in range(len(parts), 0, -1):
        path = "/".join(parts[:split]) + ".py"
        if (root / path).exists():
            return "::".join([path, *parts[split:], name])
    return "::".join([classname.replace(".", "/") + ".py", name])


def durations(junit: Path, root: Path = ROOT) -> dict[str, float]:
    times: dict[str, float] = {}
    # The junit file is our own test run's output, not untrusted input.
    for case in ET.parse(junit).iter("testcase"):  # noqa: S314
        nodeid = node_id(case.get("classname", ""), case.get("name", ""), root)
        times[nodeid] = times.get(nodeid, 0.0) + float(case.get("time", "0") or 0)
    return times


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    from tests.scheduling import DURATIONS_FILE, SLOW_SECONDS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("junitxml", type=Path, help="the --junitxml of a whole-suite run")
    parser.add_argument("--out", type=Path, default=DURATIONS_FILE)
    args = parser.parse_args(argv)
    slow = {k: round(v, 1) for k, v in durations(args.junitxml).items() if v >= SLOW_SECONDS}
    ordered = dict(sorted(slow.items(), key=lambda pair: (-pair[1], pair[0])))
    args.out.write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(ordered)} tests of {SLOW_SECONDS:g} s or more -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
