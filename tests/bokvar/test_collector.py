"""The garbage collector's thresholds (bokvar/collector.py): set when Django starts, from
BOKVAR_GC_THRESHOLDS, and a wrong value stops the start instead of being ignored."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from bokvar import collector
from bokvar.conf import from_environment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kept_thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def _manage(*args: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", *env_overrides}}
    env.update({"DEBUG": "1", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_process_that_starts_django_has_them():
    # As gunicorn, Celery and the benchmark start (the test run sets its own: conftest).
    shown = "import gc; print(gc.get_threshold())"
    assert _manage("shell", "--no-imports", "-c", shown).stdout.strip() == "(50000, 20, 20)"
    chosen = _manage("shell", "--no-imports", "-c", shown, BOKVAR_GC_THRESHOLDS="1000,5,7")
    assert chosen.stdout.strip() == "(1000, 5, 7)"
    refused = _manage("check", BOKVAR_GC_THRESHOLDS="0,10,10")
    assert refused.returncode != 0
    assert "BOKVAR_GC_THRESHOLDS" in refused.stderr


def test_by_default_the_young_generation_holds_a_requests_objects():
    assert from_environment({})["GC_THRESHOLDS"] == [50_000, 20, 20]


def test_the_environment_sets_them_and_empty_means_pythons_own(kept_thresholds):
    values = from_environment({"BOKVAR_GC_THRESHOLDS": "1000,5,7"})
    with override_settings(BOKVAR=values):
        collector.configure()
    assert gc.get_threshold() == (1000, 5, 7)

    gc.set_threshold(1234, 3, 4)
    with override_settings(BOKVAR=from_environment({"BOKVAR_GC_THRESHOLDS": ""})):
        assert collector.thresholds() is None
        collector.configure()
    assert gc.get_threshold() == (1234, 3, 4)  # left as it was


@pytest.mark.parametrize("text", ["5,5", "0,10,10", "700,-1,10", "1,2,3,4"])
def test_a_wrong_value_is_refused(text, kept_thresholds):
    before = gc.get_threshold()
    wrong = from_environment({"BOKVAR_GC_THRESHOLDS": text})
    with (
        override_settings(BOKVAR=wrong),
        pytest.raises(ImproperlyConfigured, match="BOKVAR_GC_THRESHOLDS"),
    ):
        collector.configure()
    assert gc.get_threshold() == before
