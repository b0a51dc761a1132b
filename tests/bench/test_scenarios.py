"""Every benchmark scenario runs, once, on the district scale (a smoke test: the timing
itself is measured against PostgreSQL by `python -m bench`, not here)."""

import pytest

from bench import floors, scenarios
from bench.runner import Scenario, measure
from cases.models import Case

pytestmark = pytest.mark.django_db(transaction=False)


def test_every_scenario_runs_and_reports_a_result(monkeypatch, settings, district_seeded):
    monkeypatch.setattr(scenarios, "IMPORT_ROWS", 2_000)
    # The framework floors' bare view, as `python -m bench` mounts it (bench.floors).
    settings.ROOT_URLCONF = floors.URLCONF
    built = [s for build in scenarios.builders for s in build("district")]
    names = [s.name for s in built]
    for expected in (
        "case list (coordinator): first page",
        "case list (caseworker): identity-number search",
        "case page with its timeline",
        "My deadlines (caseworker)",
        "signal triage queue (coordinator)",
        "handover inbox",
        "steering dashboard for a year",
        "steering dashboard for nine months not pre-computed (first request)",
        "import 2,000 shelter nights",
        "reminder task over a day of deadlines",
        "key rotation (people)",
        "access log: verify the chain",
        # The pages the load test visits (bench/load/locustfile.py).
        "access log (auditor)",
        "audit start (auditor)",
        "apartments (guide)",
        "steering reports (steering group)",
        "contact form (coordinator)",
        "threat form (coordinator)",
        "signal page (coordinator)",
        "handover page (caseworker)",
        "nights form (",
    ):
        assert any(name.startswith(expected) for name in names), expected
    results = {}
    for scenario in built:
        repeat, scenario.repeat = scenario.repeat, 1
        result = results[scenario.name] = measure(scenario, repeat=1, warmup=0)
        scenario.repeat = repeat
        if hasattr(scenario, "finish"):
            scenario.finish()
        assert result.runs == 1 and result.median_ms > 0, scenario.name
        if scenario.capture_queries:
            assert result.queries > 0, scenario.name
        else:
            assert result.queries == -1, scenario.name
        if scenario.items:
            assert result.rate_per_s > 0, scenario.name
        # Every page has both floors: the same result from one hand-written query, and
        # its rows in a bare template through the same middleware (bench.floors).
        if scenario.budget_ms and scenario.name != "access log: record one read":
            assert result.floor_ms is not None and result.ratio_to_floor > 0, scenario.name
            assert scenario.framework_floor is not None, scenario.name
            assert result.framework_floor_ms > 0, scenario.name
            assert result.ratio_to_framework_floor > 0, scenario.name
            assert result.near_floor is not None, scenario.name
            # The floor goes through the middleware: session, user, second factor.
            assert result.framework_floor_queries >= 3, scenario.name
        else:
            assert result.framework_floor_ms is None and result.near_floor is None

    # An uncached steering period is counted cold. The nine months' count is the one
    # measured above: measured once, as before (not the scenario's five timed runs after
    # two warm-ups: only the query count is asserted, and the counted request follows
    # the scenario's setup, which forgets the period, so it is cold with or without
    # warm-ups; each cold request is seconds). It was measured a second time by a test
    # of its own, on the same district data, in the same way. The year's page is
    # measured warm (its own runs, after two warm-ups).
    by_name = {s.name: s for s in built}
    warm = measure(by_name["steering dashboard for a year"], repeat=2)
    cold = results["steering dashboard for nine months not pre-computed (first request)"]
    # The cold page aggregates every figure (dozens of queries); the warm one reads a snapshot.
    assert cold.queries > 3 * warm.queries


def test_runner_runs_the_setup_before_the_counted_run_too():
    state = {"cold": False}

    def run():
        if state["cold"]:
            Case.objects.count()
            state["cold"] = False

    result = measure(Scenario("cold", run, setup=lambda: state.update(cold=True)), repeat=3)
    assert result.queries == 1
