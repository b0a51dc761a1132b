#!/usr/bin/env python
"""The type-check ratchet: mypy over the whole project, never more errors than recorded.

Usage:
    scripts/mypy_ratchet.py            check (what `make lint` and CI run)
    scripts/mypy_ratchet.py --update   lower the record to today's counts, after fixing

The strict set (the kernel `bokvar/` and the parts `cases/core`, `cases/evictions`,
`cases/handovers`; see [tool.mypy] in pyproject.toml) must have no error at all. Every
other file may have at most the errors recorded for it in mypy-baseline.txt (a file not
listed: none). The check fails when a file has more than its record, and names the new
errors; when files have fewer, it passes and says how to lower the record, so the next
commit holds the gain. `--update` refuses to raise a record: fix the new errors instead.
Counts are kept per file, so an error fixed in one file cannot hide a new one in another;
moving code with its errors from one file to another needs an `--update` in the same
commit (the total stays, the message shows it).

mypy keeps its cache in .mypy_cache, so a run after a small change takes seconds.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "mypy-baseline.txt"
# Kept in step with the strict override in pyproject.toml ([[tool.mypy.overrides]]).
STRICT = ("bokvar/", "cases/core/", "cases/evictions/", "cases/handovers/")
ERROR = re.compile(r"^(?P<path>[^:\s]+\.pyi?):\d+(?::\d+)?: error: ")
HEADER = """\
# mypy errors per file outside the strict set; scripts/mypy_ratchet.py fails when a file
# has more. Lower it with `scripts/mypy_ratchet.py --update` after fixing errors; never
# raise it by hand. The strict set (bokvar/, cases/core, cases/evictions,
# cases/handovers) has none and is not listed.
"""


def run_mypy() -> list[tuple[str, str]]:
    """(file, error line) for each error mypy finds in the project (files and options
    from pyproject.toml)."""
    # The django-stubs plugin loads the settings: development defaults suffice for that.
    env = {**os.environ, "DEBUG": "1"}
    mypy = Path(sys.executable).with_name("mypy")
    command = [str(mypy) if mypy.exists() else "mypy", "--no-error-summary"]
    done = subprocess.run(  # noqa: S603 - our own tool, fixed arguments
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    # 0: clean, 1: errors found; anything else is mypy failing to run.
    if done.returncode not in (0, 1):
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"mypy did not run (exit {done.returncode})")
    errors = []
    for line in done.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            errors.append((match["path"], line))
    return errors


def read_baseline() -> Counter[str]:
    record: Counter[str] = Counter()
    if not BASELINE.exists():
        return record
    for raw in BASELINE.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            path, number = line.rsplit(maxsplit=1)
            record[path] = int(number)
    return record


def write_baseline(counts: Counter[str]) -> None:
    rows = [f"{path} {n}" for path, n in sorted(counts.items()) if n]
    total = sum(counts.values())
    BASELINE.write_text(HEADER + f"# total: {total}\n" + "\n".join(rows) + "\n")


def is_strict(path: str) -> bool:
    return path.startswith(STRICT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--update", action="store_true", help="lower the recorded counts")
    args = parser.parse_args(argv)

    errors = run_mypy()
    now = Counter(path for path, _ in errors if not is_strict(path))
    strict = [line for path, line in errors if is_strict(path)]
    record = read_baseline()
    rose = sorted(path for path in now if now[path] > record[path])
    fell = sorted(path for path in record if now[path] < record[path])
    total, recorded = sum(now.values()), sum(record.values())

    if strict:
        print("\n".join(strict))
        print(f"\nThe strict set must have no mypy error; it has {len(strict)}.")
        return 1
    # Code moved with its errors from one file to another raises one file's count, not
    # the total: an update may record that, never a higher total.
    first = not BASELINE.exists()  # the first record takes today's counts as they are
    if rose and not (args.update and (first or total <= recorded)):
        print("\n".join(line for path, line in errors if path in rose))
        print()
        for path in rose:
            print(f"{path}: {now[path]} mypy errors, {record[path]} recorded.")
        print(
            f"Outside the strict set: {total} errors, {recorded} recorded. Fix the new ones "
            "(in the code, or an ignore naming its error code and why)."
            + (
                " If code only moved with its errors, the total has not risen: record it "
                "with scripts/mypy_ratchet.py --update."
                if total <= recorded
                else ""
            )
        )
        return 1
    if args.update:
        write_baseline(now)
        print(f"Recorded {total} mypy errors outside the strict set (was {recorded}).")
        return 0
    if fell:
        print(
            f"mypy: strict set clean; {total} errors elsewhere, {recorded} recorded (fewer in "
            + ", ".join(fell)
            + "). Lower the record: scripts/mypy_ratchet.py --update, and commit "
            "mypy-baseline.txt."
        )
    else:
        print(f"mypy: strict set clean; {total} errors elsewhere, as recorded.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
