"""Statistics for any period (issue 22, point 4): a first request for a longer period
counts what is not a sum of its months (people and households counted once, medians,
placements current during it, the people behind sums, the tables' rows) for the period
and those it is compared with together, with the `COUNTERS` (one query per kind of
record, a FILTER clause per period). The figures must be exactly what each figure's own
provider counts, period by period: checked here on fixtures with known data, and the
first request's queries are counted (at most 20, the same whatever the data)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bokvar.models import District, Unit
from cases.models import Case
from housing.models import Shelter, ShelterNight
from steering import services, snapshots, stats
from steering.figures import COUNTERS, MONTH_COUNTERS, Scope, get
from steering.models import MonthlyReport, StatisticsSnapshot
from steering.periods import month, parse_period, ytd
from tests.case_fixtures import case_maker, person
from tests.shared_data import SHARED, load_organisation, register_layer

# Fixtures with known data from the figures' own tests: threats, signals and nights over
# fourteen months (the attacker's district), signals with first contacts and an evicted
# household with children, placements, referrals and meeting places.
from tests.steering.test_attacker import district_history  # noqa: F401
from tests.steering.test_figures_domains import (
    _send,
    build_housing_placements,
    build_workflow,
)
from tests.steering.test_partner_figures import build_places, build_referred

pytestmark = pytest.mark.django_db

# Lists of periods counted together, as a report asks for them: a year to date and the
# year before, a quarter with the one before and a year before, two whole years.
TOGETHER = [
    [ytd(2026, 3), ytd(2025, 3)],
    [parse_period("2026-Q1"), parse_period("2025-Q4"), parse_period("2025-Q1")],
    [parse_period("2025"), parse_period("2024")],
    [ytd(2025, 9), ytd(2024, 9)],
]


def build_handovers(org, make_case) -> None:
    tz = timezone.get_current_timezone()
    for day, hours in ((3, 2), (4, 30), (5, None), (20, 5)):
        _send(
            org,
            make_case,
            to_kind=Unit.Kind.ADULT,
            from_kind=Unit.Kind.INCOME_SUPPORT,
            hours=hours,
            sent=datetime(2026, 3, day, 23, 30, tzinfo=tz),
        )
    # Sent in the last minutes of a period: it belongs to that period only.
    _send(
        org,
        make_case,
        to_kind=Unit.Kind.ADULT,
        from_kind=Unit.Kind.INCOME_SUPPORT,
        hours=1,
        sent=datetime(2025, 12, 31, 23, 59, tzinfo=tz),
    )


@pytest.fixture
def handovers(org, make_case):
    build_handovers(org, make_case)


def build_several(org, make_case, cases) -> None:
    """The rows of the fixtures `workflow`, `housing_placements`, `referred`, `places`
    and `handovers`, made in that order."""
    build_workflow(org, make_case)
    build_housing_placements(org, make_case)
    build_referred(org, cases)
    build_places(org)
    build_handovers(org, make_case)


# Eight tests here and in test_month_distributions.py only read these rows (and write
# their own on top, rolled back): built once for consecutive tests that use them
# (tests/shared_data.py) instead of once per test, some 40 cases through the services.
@register_layer("several")
def _build_several_layer() -> bool:
    district, units, users = load_organisation()
    org = SimpleNamespace(district=district, units=units, users=users)
    ids = SHARED.layer_data("cases")
    by_id = Case.objects.in_bulk(ids.values())
    cases = SimpleNamespace(**{key: by_id[pk] for key, pk in ids.items()})
    build_several(org, case_maker(org), cases)
    return True


@pytest.fixture
def several(org, make_case, cases):
    """Every kind of record a longer period counts on its own, a few of each."""
    if SHARED.layer_data("several") is None:
        build_several(org, make_case, cases)
    return District.objects.get(pk=org.district.pk)


@pytest.fixture
def everything(several, district_history):  # noqa: F811
    """And the attacker's fourteen months of small counts (built once per test: the
    tests below go through every list of periods in one test)."""
    return several


# Months counted together, as a report's trend asks for them: the twenty-four months up
# to March 2026 (the fixtures' months, the attacker's fourteen among them), and a few
# months apart, across a new year.
MONTHS_TOGETHER = [
    [month(2026, 3).shifted(-back) for back in range(23, -1, -1)],
    [month(2026, 4), month(2025, 12), month(2026, 1), month(2025, 3)],
]


def _scopes(district, periods):
    units = stats.district_units(district)
    return [Scope(district=district, units=units, period=p) for p in periods]


def test_counters_answer_what_each_figures_own_provider_answers(everything):
    for periods in TOGETHER:
        _same_as_providers(everything, periods)


def test_month_counters_answer_what_each_figures_own_provider_answers(everything):
    answered = set()
    for months in MONTHS_TOGETHER:
        answered |= _same_as_providers(everything, months, [*COUNTERS, *MONTH_COUNTERS])
    # Every figure a month counts is answered by a counter (none left to its own
    # queries), and those with data in the fixtures are compared on some of it.
    scopes = _scopes(everything, MONTHS_TOGETHER[1])
    asked = {(key, what) for c in [*COUNTERS, *MONTH_COUNTERS] for key, what, _p in c(scopes)}
    for figure in stats.all_figures():
        assert (figure.key, "compute") in asked, figure.key
        for what in ("district_total", "rows"):
            if getattr(figure, what) is not None:
                assert (figure.key, what) in asked, (figure.key, what)
        if figure.unassigned is not None:
            assert {(figure.key, "unassigned"), (figure.key, "municipality")} <= asked
    assert answered >= {
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
        "cost_forecast",
        "handovers_between_units",
        "handovers_by_pair",
        "referrals_by_partner",
        "meeting_place_visits",
    }


def _own(figure_key, what, scope):
    """What the figure's own provider answers (`unassigned` takes the period and the
    district, or None for the whole municipality)."""
    figure = get(figure_key)
    if what == "unassigned":
        return figure.unassigned(scope.period, scope.district)
    if what == "municipality":
        return figure.unassigned(scope.period, None)
    return getattr(figure, what)(scope)


def _same_as_providers(district, periods, counters=COUNTERS):
    scopes = _scopes(district, periods)
    by_key = {s.period.key: s for s in scopes}
    counted = {}
    for counter in counters:
        counted |= counter(scopes)
    answered = set()
    for (figure_key, what, period_key), value in counted.items():
        own = _own(figure_key, what, by_key[period_key])
        if what == "compute":
            # A provider leaves out what it did not find; a counter may say 0 (or no
            # values) for it: the tables read both as 0.
            own = {k: v for k, v in own.items() if v not in (0, [], (0, 0))}
            value = {k: v for k, v in value.items() if v not in (0, [], (0, 0))}
            if figure_key in ("days_to_first_contact", "handovers_by_pair"):
                own = {k: sorted(v) for k, v in own.items()}
                value = {k: sorted(v) for k, v in value.items()}
        assert value == own, (figure_key, what, period_key)
        if value:
            answered.add(figure_key)
    # Every kind of figure a longer period counts on its own has data here somewhere, so
    # the comparison says something.
    if periods[0].key == "2026-YTD03":
        assert answered >= {
            "days_to_first_contact",
            "children_under_threat",
            "children_in_evictions",
            "shelter_nights",
            "shelter_cost",
            "placements",
            "handovers_by_pair",
            "referrals_by_partner",
            "meeting_place_visits",
        }
    return answered


def test_months_made_together_equal_those_made_one_by_one(everything):
    for months in MONTHS_TOGETHER:
        kept: dict = {}
        together = stats.months_tables(district=everything, months=months, distributions=kept)
        assert list(together) == [m.key for m in months]
        for m in months:
            own: dict = {}
            alone = stats.month_tables(district=everything, month=m, distributions=own)
            assert together[m.key]["figures"] == alone["figures"], m.key
            assert kept[m.key] == own, m.key


def _stored(reports):
    return {key: (r.version, r.data["figures"], r.distributions) for key, r in reports.items()}


def test_months_published_together_are_stored_as_those_published_one_by_one(
    everything, coordinator
):
    # (The tables of the 24 months made together are compared with those made one by one
    # above; here what is stored, on the months a few apart.)
    months = MONTHS_TOGETHER[1]
    # A month published before under an earlier method: a second version now, made
    # against the first (small changes hidden), in both ways.
    old = services.publish_month(
        district=everything, period=months[2], actor=coordinator, reason="test"
    )
    MonthlyReport.objects.filter(pk=old.pk).update(data=old.data | {"schema": 1})
    undo = transaction.savepoint()
    alone = {
        m.key: services.publish_month(district=everything, period=m, actor=coordinator, reason="t")
        for m in months
    }
    transaction.savepoint_rollback(undo)
    together = services.publish_months(
        district=everything, periods=months, actor=coordinator, reason="t"
    )
    assert list(together) == [m.key for m in months]
    assert _stored(together) == _stored(alone)
    assert together[months[2].key].version == 2 and "changes" in together[months[2].key].data
    # A trend's 24 months: those published are read, the others counted together, once
    # for all of them, not once a month (the new cases' count).
    trend = MONTHS_TOGETHER[0]
    with CaptureQueriesContext(connection) as queries:
        published = services.publish_months(
            district=everything, periods=trend, actor=coordinator, reason="t"
        )
    assert published[months[2].key].pk == together[months[2].key].pk
    opened = [
        q
        for q in queries.captured_queries
        if '"cases_case"."opened_on"' in q["sql"] and 'AS "_month"' in q["sql"]
    ]
    assert len(opened) == 1
    assert MonthlyReport.objects.filter(period__in=[m.key for m in trend]).count() == 24 + 1
    # Published now: asked again, the same versions are read, none made.
    again = services.publish_months(
        district=everything, periods=trend, actor=coordinator, reason="t"
    )
    assert {k: r.pk for k, r in again.items()} == {k: r.pk for k, r in published.items()}


def test_longer_periods_made_together_equal_those_made_figure_by_figure(everything):
    source = stats.fresh_tables(everything)
    for periods in TOGETHER:
        together = stats.periods_tables(district=everything, periods=periods, tables=source)
        for period in periods:
            # The computation before the counters: every provider asked for this period.
            alone = stats._tables(
                district=everything,
                period=period,
                limit=stats.threshold(),
                months=[source(m) for m in period.month_periods()],
            )
            assert together[period.key]["figures"] == alone["figures"], period.key


def _cold(client, url, period):
    """The first request for `period` with its months published: its stored tables and
    those of the year before are forgotten first."""
    keys = [period.key, period.year_earlier().key]
    StatisticsSnapshot.objects.filter(period__in=keys).delete()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"period": period.key})
    assert response.status_code == 200
    assert StatisticsSnapshot.objects.filter(period__in=keys).count() == 2  # stored again
    return queries


def _more_data(org, make_case, n):
    shelter = Shelter.objects.create(name=f"Natthärbärget {n}", district=org.district)
    for i in range(n):
        case = make_case(
            unit_kind=Unit.Kind.ADULT,
            kind="homelessness",
            people=[person("More", f"Guest{n}x{i}")],
            children=[2016],
            opened_on=date(2026, 2, 1 + i),
        )
        ShelterNight.objects.bulk_create(
            ShelterNight(
                person_id=case.household.head_id,
                shelter=shelter,
                night=date(2026, 2, 1) + timedelta(days=k),
                cost=Decimal(400),
                paying_unit=org.units[Unit.Kind.ADULT],
            )
            for k in range(3)
        )


def test_a_first_request_for_a_longer_period_takes_at_most_20_queries_whatever_the_data(
    client, org, steering, several, make_case
):
    client.force_login(steering, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("steering:dashboard")
    period = ytd(2026, 3)
    assert client.get(url, {"period": period.key}).status_code == 200  # months published
    small = _cold(client, url, period)
    _more_data(org, make_case, 12)
    large = _cold(client, url, period)
    assert len(small) == len(large)
    assert len(large) <= 20, "\n".join(q["sql"][:120] for q in large.captured_queries)
    # The months are read, not counted again: no new-cases count over the period.
    assert not any('"cases_case"."opened_on" BETWEEN' in q["sql"] for q in large.captured_queries)


def test_refresh_publishes_longer_periods_made_together(org, stats_cases):
    today = date(2026, 4, 15)
    snapshots.refresh_all(today)
    kept = dict(StatisticsSnapshot.objects.values_list("period", "data"))
    district = District.objects.get(pk=org.district.pk)
    source = snapshots.published_tables(district)
    for key in ("2026-Q1", "2025-Q1", "2025"):
        period = parse_period(key)
        alone = stats._tables(
            district=district,
            period=period,
            limit=stats.threshold(),
            months=[source(m) for m in period.month_periods()],
        )
        assert kept[key]["figures"] == alone["figures"], key


def test_a_months_tables_make_its_cost_forecast_once(org, monkeypatch):
    """The cost forecast's cells and the households behind them come from one forecast
    when a month's tables are made, and a forecast is not kept past them (a record
    added later is counted by the next one)."""
    from steering.figures import housing

    made = []
    real = housing.forecasts_for_cases

    def counted(*args, **kwargs):
        made.append(kwargs["as_of"])
        return real(*args, **kwargs)

    monkeypatch.setattr(housing, "forecasts_for_cases", counted)
    march = month(2026, 3)
    stats.month_tables(district=org.district, month=march)
    assert made == [date(2026, 3, 31)]
    stats.month_tables(district=org.district, month=march)
    assert len(made) == 2
    scope = Scope(district=org.district, units=stats.district_units(org.district), period=march)
    get("cost_forecast").compute(scope)
    get("cost_forecast").district_total(scope)
    assert len(made) == 4


def test_a_handover_half_past_midnight_counts_in_the_month_of_its_local_date(org, make_case):
    """The month counters place a handover by its date in Stockholm, as the figure's own
    provider does: 00:30 on 1 April is 22:30 on 31 March in UTC and counts in April (and
    its quarter); 23:59 on 31 March counts in March."""
    tz = timezone.get_current_timezone()
    for sent in (datetime(2026, 4, 1, 0, 30, tzinfo=tz), datetime(2026, 3, 31, 23, 59, tzinfo=tz)):
        _send(
            org,
            make_case,
            to_kind=Unit.Kind.ADULT,
            from_kind=Unit.Kind.INCOME_SUPPORT,
            hours=None,
            sent=sent,
        )
    periods = [month(2026, 3), month(2026, 4), parse_period("2026-Q2")]
    scopes = _scopes(org.district, periods)
    found = {}
    for counter in MONTH_COUNTERS:
        found |= counter(scopes)
    sender = org.units[Unit.Kind.INCOME_SUPPORT].pk
    for scope in scopes:
        cell = found[("handovers_between_units", "compute", scope.period.key)]
        assert cell == {(sender, Unit.Kind.ADULT): 1}, (scope.period.key, cell)
        assert cell == _own("handovers_between_units", "compute", scope)
