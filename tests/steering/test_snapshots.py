"""Pre-computed statistics: pages, exports and the API read a snapshot at most
STATS_MAX_AGE_MINUTES old; the background refresh keeps the quick periods fresh;
monthly freezes always aggregate afresh."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bokvar.models import District, Unit
from steering import snapshots
from steering.models import StatisticsSnapshot
from steering.periods import month, parse_period
from steering.services import freeze_month
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


def _age_snapshots(minutes):
    StatisticsSnapshot.objects.update(computed_at=timezone.now() - timedelta(minutes=minutes))


def test_a_fresh_snapshot_is_served_until_it_ages_out(
    client, steering, stats_cases, make_case, settings
):
    settings.BOKVAR = {**settings.BOKVAR, "STATS_MAX_AGE_MINUTES": 30}
    _as(client, steering)
    assert _new_cases_total(client) == "8"
    _add_cases(make_case, 3)
    # Within the age limit the stored figures are served, also to the page and exports.
    assert _new_cases_total(client) == "8"
    _age_snapshots(29)
    assert _new_cases_total(client) == "8"
    _age_snapshots(31)
    assert _new_cases_total(client) == "11"
    assert StatisticsSnapshot.objects.filter(period="2026-03").count() == 1


def test_page_export_and_api_share_the_snapshot(client, steering, stats_cases, make_case):
    _as(client, steering)
    client.get(reverse("steering:dashboard"), {"period": "2026-03"})
    _add_cases(make_case, 3)
    csv_text = client.get(reverse("steering:export_csv"), {"period": "2026-03"}).content.decode()
    assert "Nya ärenden per slag,Hela stadsdelen,Totalt,8" in csv_text.replace("\r", "")
    assert _new_cases_total(client) == "8"


def test_the_page_says_when_the_figures_were_computed(client, steering, stats_cases, settings):
    settings.BOKVAR = {**settings.BOKVAR, "STATS_MAX_AGE_MINUTES": 30}
    html = _as(client, steering).get(reverse("steering:dashboard"), {"period": "2026-03"})
    text = html.content.decode()
    assert 'id="computed-at"' in text
    assert "de är högst 30 minuter gamla" in text


def test_each_period_has_its_own_snapshot(client, steering, stats_cases):
    _as(client, steering)
    for period in ("2026-03", "2026-Q1", "2026"):
        client.get("/api/v1/stats/", {"period": period})
    client.get("/api/v1/stats/", {"from": "2026-01", "to": "2026-02"})
    assert set(StatisticsSnapshot.objects.values_list("period", flat=True)) == {
        "2026-03",
        "2026-Q1",
        "2026",
        parse_period_range_key("2026-01", "2026-02"),
    }


def parse_period_range_key(start, end):
    from steering.periods import parse_range

    return parse_range(start, end).key


def test_reading_a_snapshot_takes_the_same_queries_whatever_the_data(
    client, steering, stats_cases, make_case
):
    _as(client, steering)
    url = reverse("steering:dashboard")
    client.get(url, {"period": "2026"})
    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"period": "2026"}).status_code == 200
    _add_cases(make_case, 10)
    with CaptureQueriesContext(connection) as large:
        assert client.get(url, {"period": "2026"}).status_code == 200
    assert len(small) == len(large)
    # A served snapshot runs none of the figures' aggregates.
    assert not any("cases_case" in q["sql"] for q in large.captured_queries)


def test_refresh_all_keeps_every_districts_quick_periods(org, stats_cases, make_case):
    other = District.objects.create(name="Södermalm")
    today = date(2026, 4, 15)
    assert snapshots.refresh_all(today) == 8
    stored = set(StatisticsSnapshot.objects.values_list("district_id", "period"))
    expected_periods = {"2026-03", "2026-Q1", "2026", "2025"}
    assert stored == {(d, p) for d in (org.district.pk, other.pk) for p in expected_periods}
    _add_cases(make_case, 3)
    snapshots.refresh_all(today)
    data = StatisticsSnapshot.objects.get(district=org.district, period="2026-03").data
    new = next(f for f in data["figures"] if f["key"] == "new_cases")
    assert new["total"]["cells"][-1]["display"] == "11"


def test_refresh_all_drops_snapshots_older_than_a_day(org, steering):
    StatisticsSnapshot.objects.create(
        district=org.district,
        period="2020-01",
        computed_at=timezone.now() - timedelta(days=2),
        data={},
    )
    snapshots.refresh_all(date(2026, 4, 15))
    assert not StatisticsSnapshot.objects.filter(period="2020-01").exists()


def test_a_monthly_freeze_aggregates_afresh(org, stats_cases, make_case, steering):
    period = month(2026, 3)
    snapshots.report_for(district=org.district, period=period)
    _add_cases(make_case, 3)
    report = freeze_month(district=org.district, period=period, actor=org.users["coordinator"])
    new = next(f for f in report.data["figures"] if f["key"] == "new_cases")
    assert new["total"]["cells"][-1]["display"] == "11"


@pytest.mark.parametrize("role", ["guide", "caseworker", "auditor", "admin"])
def test_snapshots_do_not_open_the_statistics_to_other_roles(client, org, role, stats_cases):
    snapshots.refresh(district=org.district, period=parse_period("2026-03"))
    _as(client, org.users[role])
    assert client.get("/api/v1/stats/", {"period": "2026-03"}).status_code == 403
    assert client.get(reverse("steering:dashboard"), {"period": "2026-03"}).status_code == 403


def test_refresh_all_precomputes_past_years_once_a_day(org, stats_cases, make_case, settings):
    settings.BOKVAR = {**settings.BOKVAR, "STATS_PAST_YEARS": 5}
    _add_cases(make_case, 1, opened_on=date(2022, 5, 1))
    today = date(2026, 4, 15)
    # Quick periods (4) and the whole years before last year back to the first case.
    assert snapshots.refresh_all(today) == 4 + 3
    stored = set(
        StatisticsSnapshot.objects.filter(district=org.district).values_list("period", flat=True)
    )
    assert {"2024", "2023", "2022"} <= stored
    assert "2021" not in stored
    # Within the day only the quick periods are remade.
    assert snapshots.refresh_all(today) == 4
    StatisticsSnapshot.objects.filter(period="2023").update(
        computed_at=timezone.now() - timedelta(hours=24)
    )
    assert snapshots.refresh_all(today) == 4 + 1


def test_past_years_are_limited_by_the_setting(org, settings):
    settings.BOKVAR = {**settings.BOKVAR, "STATS_PAST_YEARS": 2}
    keys = [p.key for p in snapshots.past_years(2010, date(2026, 4, 15))]
    assert keys == ["2024", "2023"]
    assert snapshots.past_years(None, date(2026, 4, 15)) == []
    assert snapshots.past_years(2026, date(2026, 4, 15)) == []


def test_a_past_years_snapshot_is_served_for_a_day(client, steering, stats_cases, make_case):
    old = str(timezone.localdate().year - 3)
    _as(client, steering)
    _add_cases(make_case, 1, opened_on=date(int(old), 6, 1))
    assert _new_cases_total(client, old) == "<5"
    StatisticsSnapshot.objects.filter(period=old).update(
        computed_at=timezone.now() - timedelta(hours=25)
    )
    _add_cases(make_case, 5, opened_on=date(int(old), 6, 2))
    # Still yesterday's figures: past years are remade by the daily refresh...
    assert _new_cases_total(client, old) == "<5"
    page = client.get(reverse("steering:dashboard"), {"period": old})
    assert page.context["past_year"] is True
    # ...and a snapshot older than a day and a bit is recomputed on request.
    StatisticsSnapshot.objects.filter(period=old).update(
        computed_at=timezone.now() - timedelta(hours=27)
    )
    assert _new_cases_total(client, old) == "6"


def test_refresh_all_keeps_past_year_snapshots_but_drops_other_old_ones(org, stats_cases):
    today = date(2026, 4, 15)
    for period in ("2024", "2024-Q2"):
        StatisticsSnapshot.objects.create(
            district=org.district,
            period=period,
            computed_at=timezone.now() - timedelta(hours=25),
            data={},
        )
    snapshots.refresh_all(today)
    periods_left = set(StatisticsSnapshot.objects.values_list("period", flat=True))
    assert "2024" in periods_left
    assert "2024-Q2" not in periods_left
