"""The README's configuration table names every environment variable the code reads,
so an operator never has to read the source to configure Bo Kvar."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    "bokvar",
    "cases",
    "housing",
    "partners",
    "audit",
    "steering",
    "bench",
    "tests",
    "scripts",
]
# os.environ.get("X"), os.environ["X"], getenv("X") and settings' env_bool/env_list/secret("X").
READ = re.compile(
    r"""(?:environ\.get|environ\[|getenv|env_bool|env_list|secret)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# Set by the tooling itself, not by whoever configures Bo Kvar.
NOT_CONFIGURATION = {
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    # Set by bench/load/run.py for the locust process it starts, not by anyone configuring.
    "LOAD_EQUAL_ROLES",
    "LOAD_EVENTS",
    "LOAD_MAX_REQUESTS",
    "LOAD_PLAN",
    "LOAD_STEPS",
    "LOAD_STEP_SECONDS",
    "LOAD_THINK",
    # Set by pytest-xdist in each test process (tests/live_http.py reads its share of ports).
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
}


def _variables_read() -> set[str]:
    names: set[str] = set()
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(READ.findall(path.read_text(encoding="utf-8")))
    return names - NOT_CONFIGURATION


def _variables_documented() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def test_the_scan_finds_the_known_variables():
    read = _variables_read()
    assert {"DATABASE_URL", "REDIS_URL", "BOKVAR_FIELD_KEYS", "DEBUG"} <= read


def test_every_variable_read_is_in_the_configuration_table():
    missing = _variables_read() - _variables_documented()
    assert not missing, f"add these to the README's configuration table: {sorted(missing)}"
