"""Publication: a period's figures are published once and kept; pages, exports and the API
read the published tables; a month changes only through a new version, and the quarter,
year and years to date made of it follow."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bokvar.models import District, Unit
from steering import snapshots, stats
from steering.models import MonthlyReport, StatisticsSnapshot
from steering.periods import parse_period
from tests.case_fixtures import person

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _new_cases_total(client, period="2026-03") -> str:
    api = client.get("/api/v1/stats/", {"period": period}).json()
    new = next(f for f in api["figures"] if f["key"] == "new_cases")
    return new["total"]["cells"][-1]["display"]


def _add_cases(make_case, n, opened_on=date(2026, 3, 20)):
    for i in range(n):
        make_case(
            unit_kind=Unit.Kind.ADULT, people=[person("Late", f"Case{i}")], opened_on=opened_on
        )


def test_a_published_month_does_not_move_until_a_new_version(
    client, org, steering, stats_cases, make_case
):
    _as(client, steering)
    assert _new_cases_total(client) == "8"
    assert MonthlyReport.objects.filter(period="2026-03").count() == 1  # published once
    _add_cases(make_case, 3)
    # The same cells to every reader, on every page, in every format, as long as they ask.
    assert _new_cases_total(client) == "8"
    assert _new_cases_total(client, "2026-Q1") == "15"
    report = MonthlyReport.objects.get(period="2026-03")
    _as(client, org.users["coordinator"]).post(reverse("steering:regenerate", args=[report.pk]))
    _as(client, steering)
    # Version 2: the total grew by 3, a change smaller than 5, so it is hidden, and so is
    # the quarter's total made of it.
    assert _new_cases_total(client) == "–"
    assert _new_cases_total(client, "2026-Q1") == "–"
    _add_cases(make_case, 2)
    report = MonthlyReport.objects.get(period="2026-03", version=2)
    _as(client, org.users["coordinator"]).post(reverse("steering:regenerate", args=[report.pk]))
    _as(client, steering)
    # Version 3 against version 2 (where the total was hidden): shown again.
    assert _new_cases_total(client) == "13"
    assert _new_cases_total(client, "2026-Q1") == "20"


def test_page_export_and_api_share_the_published_tables(client, steering, stats_cases, make_case):
    _as(client, steering)
    client.get(reverse("steering:dashboard"), {"period": "2026-03"})
    _add_cases(make_case, 3)
    csv_text = client.get(reverse("steering:export_csv"), {"period": "2026-03"}).content.decode()
    assert "Nya ärenden per slag;Hela stadsdelen;Totalt;8" in csv_text
    assert _new_cases_total(client) == "8"


def test_the_page_says_when_the_figures_were_published(client, steering, stats_cases):
    html = _as(client, steering).get(reverse("steering:dashboard"), {"period": "2026-03"})
    text = html.content.decode()
    assert 'id="computed-at"' in text
    assert "publicerade siffror ändras inte" in text


def test_longer_periods_are_kept_as_snapshots_and_months_as_reports(client, steering, stats_cases):
    _as(client, steering)
    for period in ("2026-03", "2026-Q1", "2026-YTD05", "2025"):
        assert client.get("/api/v1/stats/", {"period": period}).status_code == 200
    kept = set(StatisticsSnapshot.objects.values_list("period", flat=True))
    assert {"2026-Q1", "2026-YTD05", "2025"} <= kept
    assert not any(len(key) == 7 and key[4] == "-" and key[5] != "Q" for key in kept)
    assert MonthlyReport.objects.filter(period="2026-03").exists()


def test_reading_published_figures_takes_the_same_queries_whatever_the_data(
    client, steering, stats_cases, make_case
):
    _as(client, steering)
    url = reverse("steering:dashboard")
    client.get(url, {"period": "2026-Q2"})  # published by the first reader
    client.get(url, {"period": "2026-Q2"})  # and kept by the next (snapshots.report_for)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"period": "2026-Q2"}).status_code == 200
    _add_cases(make_case, 10)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url, {"period": "2026-Q2"}).status_code == 200
    assert len(small) == len(large)
    # Published tables are read, the figures' aggregates are not run again.
    assert not any("cases_case" in q["sql"] for q in large.captured_queries)


def test_refresh_all_publishes_every_districts_quick_periods(org, stats_cases):
    other = District.objects.create(name="Södermalm")
    today = date(2026, 4, 15)
    assert snapshots.refresh_all(today) == 8
    for district in (org.district, other):
        assert MonthlyReport.objects.filter(district=district, period="2026-03").exists()
        kept = set(
            StatisticsSnapshot.objects.filter(district=district).values_list("period", flat=True)
        )
        assert {"2026-Q1", "2025"} <= kept
    # Idempotent: what is published stays.
    before = MonthlyReport.objects.count()
    snapshots.refresh_all(today)
    assert MonthlyReport.objects.count() == before


@pytest.mark.parametrize("role", ["guide", "caseworker", "auditor", "admin"])
def test_published_figures_do_not_open_the_statistics_to_other_roles(
    client, org, role, stats_cases, stats_march_published
):
    snapshots.report_for(district=org.district, period=parse_period("2026-03"))
    _as(client, org.users[role])
    assert client.get("/api/v1/stats/", {"period": "2026-03"}).status_code == 403
    assert client.get(reverse("steering:dashboard"), {"period": "2026-03"}).status_code == 403


def test_refresh_all_publishes_past_years(org, stats_cases, make_case, settings):
    settings.BOKVAR = {**settings.BOKVAR, "STATS_PAST_YEARS": 5}
    _add_cases(make_case, 1, opened_on=date(2022, 5, 1))
    today = date(2026, 4, 15)
    assert snapshots.refresh_all(today) == 4 + 3
    stored = set(
        StatisticsSnapshot.objects.filter(district=org.district).values_list("period", flat=True)
    )
    assert {"2024", "2023", "2022"} <= stored
    # 2021 only as the year before 2022 (its comparison), nothing earlier.
    assert "2020" not in stored


def test_past_years_are_limited_by_the_setting(org, settings):
    settings.BOKVAR = {**settings.BOKVAR, "STATS_PAST_YEARS": 2}
    keys = [p.key for p in snapshots.past_years(2010, date(2026, 4, 15))]
    assert keys == ["2024", "2023"]
    assert snapshots.past_years(None, date(2026, 4, 15)) == []
    assert snapshots.past_years(2026, date(2026, 4, 15)) == []


def test_the_trend_reads_the_key_figures_alone_and_shows_the_same(org, stats_cases):
    """The dashboard reads the trend's other months light (`PublishedTables.prefetch`,
    `for_trend`: the key figures' columns and totals): the same report as from whole
    tables, and no month published again for being read light."""
    period = parse_period("2026-03")
    first = snapshots.report_for(district=org.district, period=period)  # publishes
    versions = MonthlyReport.objects.count()
    again = snapshots.report_for(district=org.district, period=period)
    assert again == first
    whole = snapshots.published_tables(org.district)
    assert again["trend"] == stats.trend(whole, period)
    assert MonthlyReport.objects.count() == versions
    if connection.vendor != "postgresql":
        return
    source = snapshots.published_tables(org.district)
    month = parse_period("2025-06")
    source.prefetch([], light=[month])
    assert month.key not in source.cache  # whatever asks for the tables gets them whole
    keys = {figure for _k, _l, figure, _c, _kind, _g in stats.KEY_FIGURES}
    light = source.light[month.key]
    assert {f["key"] for f in light["figures"]} == keys
    assert set(light["figures"][0]) == {"key", "columns", "total"}
    assert source.for_trend(month) is light
    assert len(source(month)["figures"]) > len(keys)
