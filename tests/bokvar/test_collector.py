"""The garbage collector's thresholds (bokvar/collector.py): set when Django starts, from
BOKVAR_GC_THRESHOLDS, and a wrong value stops the start instead of being ignored."""

import gc

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from bokvar import collector
from bokvar.conf import from_environment
from tests.bokvar.test_settings import run_manage


@pytest.fixture
def kept_thresholds():
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_a_process_that_starts_django_has_them(monkeypatch):
    # As gunicorn, Celery and the benchmark start (the test run sets its own: conftest).
    monkeypatch.delenv("BOKVAR_GC_THRESHOLDS", raising=False)
    shown = ("shell", "--no-imports", "-c", "import gc; print(gc.get_threshold())")
    dev = {"DEBUG": "1"}  # no production secrets needed to start
    assert run_manage(*shown, env_overrides=dev).stdout.strip() == "(50000, 20, 20)"
    chosen = run_manage(*shown, env_overrides=dev | {"BOKVAR_GC_THRESHOLDS": "1000,5,7"})
    assert chosen.stdout.strip() == "(1000, 5, 7)"
    refused = run_manage("check", env_overrides=dev | {"BOKVAR_GC_THRESHOLDS": "0,10,10"})
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
