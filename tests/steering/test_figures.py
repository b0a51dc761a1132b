"""Figures against fixtures with known answers (see conftest.stats_cases)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bokvar.models import Unit
from steering import stats
from steering.figures import all_figures
from steering.periods import parse_period, ytd

pytestmark = pytest.mark.django_db


def _figure(report, key):
    return next(f for f in report["figures"] if f["key"] == key)


def _row(figure, label):
    return next(r for r in figure["rows"] if r["label"] == label)


def _values(cells):
    return [c["value"] for c in cells]


def test_every_figure_the_steering_group_follows_is_registered():
    keys = [f.key for f in all_figures()]
    assert keys == [
        "new_cases",
        "closed_cases",
        "signals_by_kind",
        "days_to_first_contact",
        "new_threats",
        "threat_outcomes",
        "children_under_threat",
        "children_in_evictions",
        "shelter_nights",
        "shelter_cost",
        "placements",
        "takeovers",
        "returns_to_homelessness",
        "cost_forecast",
        "handovers_between_units",
        "handovers_by_pair",
        "referrals_by_partner",
        "meeting_place_visits",
        "survey_answers",
        "survey_scales",
    ]


def test_raw_figures_for_march(org, stats_cases):
    # limit=1 hides nothing, so the raw counts can be checked exactly.
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    adult, team = org.units[Unit.Kind.ADULT].name, org.units[Unit.Kind.HOUSING_TEAM].name
    new = _figure(report, "new_cases")
    assert _values(_row(new, adult)["cells"]) == [6, 2, 8]
    assert _values(_row(new, team)["cells"]) == [0, 0, 0]
    assert _values(new["total"]["cells"]) == [6, 2, 8]
    # Previous period (February): the housing team's 7; a year earlier: 1.
    assert new["comparison"][0]["previous"]["value"] == 7
    assert new["comparison"][0]["year_earlier"]["value"] == 1
    assert new["comparison"][0]["previous_change"] == round(100 * (6 - 7) / 7, 1)
    assert new["comparison"][0]["year_change"] == 500.0

    # Open cases at the end of a period are not published: with new and closed cases
    # they would give hidden counts away (docs/statistics.md).
    assert "open_cases" not in [f["key"] for f in report["figures"]]

    closed = _figure(report, "closed_cases")
    assert [c["key"] for c in closed["columns"]] == [
        "lease_kept",
        "recovered_by_payment",
        "moved_to_other_housing",
        "evicted",
        "housed",
        "other",
        "total",
    ]
    assert _values(closed["total"]["cells"]) == [2, 0, 0, 1, 0, 0, 3]

    # The children's goal figures count eviction threats (see test_figures_domains); closing
    # a case as evicted without a threat does not count there.
    evicted = _figure(report, "children_in_evictions")
    assert _values(evicted["total"]["cells"]) == [0, 0]
    assert evicted["goal"] == "The goal is zero."


def test_published_figures_are_suppressed(org, stats_cases):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"))
    adult = org.units[Unit.Kind.ADULT].name
    new = _figure(report, "new_cases")
    cells = _row(new, adult)["cells"]
    # 2 homelessness cases: hidden; the row total would give it away, so more is hidden.
    assert cells[1] == {"value": None, "display": "<5", "hidden": "primary"}
    assert sum(1 for c in cells if c["value"] is None) >= 2
    closed = _figure(report, "closed_cases")
    # Lease kept 2, evicted 1 of 3 closed: all small, all hidden.
    assert [c["display"] for c in closed["total"]["cells"] if c["hidden"]] == ["<5", "<5", "<5"]
    # Nothing hidden carries a number anywhere in the report.
    for figure in report["figures"]:
        for line in [*figure["rows"], figure["total"]]:
            cells = line["cells"]
            if figure["kind"] == "median" and cells[1]["value"] == 0:
                cells = cells[1:]  # no values, so no median: shown as a dash, nothing hidden
            for cell in cells:
                assert (cell["value"] is None) == bool(cell["hidden"])


def test_quarter_year_and_range(org, stats_cases):
    q1 = stats.build_report(district=org.district, period=parse_period("2026-Q1"), limit=1)
    assert _values(_figure(q1, "new_cases")["total"]["cells"]) == [13, 2, 15]
    assert q1["previous"]["key"] == "2025-Q4" and q1["year_earlier"]["key"] == "2025-Q1"
    year = stats.build_report(district=org.district, period=parse_period("2025"), limit=1)
    assert _values(_figure(year, "new_cases")["total"]["cells"]) == [1, 0, 1]
    to_date = stats.build_report(district=org.district, period=ytd(2026, 2), limit=1)
    assert to_date["period"]["key"] == "2026-YTD02"
    assert _values(_figure(to_date, "new_cases")["total"]["cells"]) == [7, 0, 7]
    # A year to date is compared with the same months a year earlier, not a previous period.
    assert to_date["previous"] is None and to_date["year_earlier"]["key"] == "2025-YTD02"


def test_query_count_does_not_grow_with_data(org, make_case):
    period = parse_period("2026-03")
    with CaptureQueriesContext(connection) as small:
        stats.build_report(district=org.district, period=period)
    for n in range(12):
        make_case(
            unit_kind=Unit.Kind.ADULT,
            children=[2016],
            opened_on=__import__("datetime").date(2026, 3, 1 + n),
        )
    with CaptureQueriesContext(connection) as large:
        stats.build_report(district=org.district, period=period)
    assert len(large) == len(small)
    # Aggregates only: no query reads a person's encrypted columns.
    for query in large.captured_queries:
        assert "given_name" not in query["sql"] and "personal_number" not in query["sql"]


def test_shares_are_rounded_over_small_totals(org, stats_cases, make_case):
    from datetime import date

    for n in range(5):
        make_case(unit_kind=Unit.Kind.ADULT, kind="homelessness", opened_on=date(2026, 3, 20 + n))
    report = stats.build_report(district=org.district, period=parse_period("2026-03"))
    new = _figure(report, "new_cases")
    # 6 eviction prevention and 7 homelessness of 13: 46 % and 54 %, published as 50 % each.
    assert [row["share"] for row in new["comparison"]] == [50, 50, 100]
    # A share is never given for a hidden count.
    closed = _figure(report, "closed_cases")
    assert all(
        row["share"] is None for row in closed["comparison"] if row["current"]["value"] is None
    )
