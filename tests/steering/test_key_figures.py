"""The dashboard's key figures (issue 18, point 5) and the rule of sums (point 2)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from bokvar.models import Unit
from cases.models import EvictionThreat
from housing.models import Shelter, ShelterNight
from steering import stats
from steering.models import MonthlyReport
from steering.periods import parse_period, ytd

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _key(report, key):
    return next(k for k in report["key_figures"] if k["key"] == key)


@pytest.fixture
def seed_nights(org, make_case):
    """938 shelter nights January–September 2009 and 811 the same months of 2010 (seed
    003), paid by the adult unit for six people."""
    shelter = Shelter.objects.create(name="Härbärget", district=org.district)
    people = [make_case(unit_kind=Unit.Kind.ADULT).household.head for _ in range(6)]
    rows = []
    for year, count in ((2009, 938), (2010, 811)):
        first = date(year, 1, 1)
        days = (date(year, 9, 30) - first).days + 1
        for n in range(count):
            rows.append(
                ShelterNight(
                    person=people[n % 6],
                    shelter=shelter,
                    night=first + timedelta(days=(n * days) // count),
                    cost=Decimal(300),
                    paying_unit=org.units[Unit.Kind.ADULT],
                )
            )
    ShelterNight.objects.bulk_create(rows)


def test_the_seeds_comparison_is_a_year_to_date_key_figure(client, steering, seed_nights):
    report = stats.build_report(
        district=steering.memberships.first().unit.district, period=ytd(2010, 9)
    )
    nights = _key(report, "shelter_nights")
    assert nights["current"]["value"] == 811
    assert nights["year_earlier"]["value"] == 938
    assert nights["year_change"] == -13.5
    html = _as(client, steering).get(reverse("steering:dashboard"), {"period": "2010-YTD09"})
    text = html.content.decode()
    assert html.status_code == 200
    assert 'id="key-shelter_nights"' in text
    assert "<strong>811</strong>" in text and "938" in text and "−13,5 %" in text
    # Money the Swedish way: 811 × 300 kr = 243 300 kr, with a no-break space.
    assert "243\xa0300\xa0kr" in text


def test_a_year_to_date_is_the_difference_of_two_published_years_to_date(org, seed_nights):
    """YTD(Sep) − YTD(Aug) = Sep: all three come from the same published months."""
    source = stats.fresh_tables(org.district)
    sep = stats.key_value(source(ytd(2010, 9)), "shelter_nights", ["nights"])["value"]
    aug = stats.key_value(source(ytd(2010, 8)), "shelter_nights", ["nights"])["value"]
    month = stats.key_value(source(parse_period("2010-09")), "shelter_nights", ["nights"])["value"]
    assert sep - aug == month


def test_nights_and_cost_of_one_person_are_hidden_together(org, make_case):
    """A unit with one guest: neither the nights (98) nor their cost is published, and the
    district total does not give them away."""
    shelter = Shelter.objects.create(name="Härbärget", district=org.district)
    alone = make_case(unit_kind=Unit.Kind.ADULT).household.head
    many = [make_case(unit_kind=Unit.Kind.HOUSING_TEAM).household.head for _ in range(6)]
    rows = [
        ShelterNight(
            person=alone,
            shelter=shelter,
            night=date(2026, 3, 1) + timedelta(days=k % 31),
            cost=Decimal(350),
            paying_unit=org.units[Unit.Kind.ADULT],
        )
        for k in range(31)
    ]
    rows += [
        ShelterNight(
            person=p,
            shelter=shelter,
            night=date(2026, 3, 1) + timedelta(days=k),
            cost=Decimal(350),
            paying_unit=org.units[Unit.Kind.HOUSING_TEAM],
        )
        for p in many
        for k in range(10)
    ]
    ShelterNight.objects.bulk_create(rows)
    report = stats.build_report(district=org.district, period=parse_period("2026-03"))
    for key in ("shelter_nights", "shelter_cost"):
        figure = next(f for f in report["figures"] if f["key"] == key)
        adult = next(r for r in figure["rows"] if r["label"] == org.units[Unit.Kind.ADULT].name)
        assert adult["cells"][0]["value"] is None and adult["cells"][0]["people"] is None
        # The district total minus the published units would give the sum away.
        shown = [r["cells"][0]["value"] for r in figure["rows"] if r["cells"][0]["value"]]
        total = figure["total"]["cells"][0]["value"]
        assert (
            total is None
            or total - sum(shown) == 0
            or len([r for r in figure["rows"] if r["cells"][0]["value"] is None]) >= 2
        )
    nights = next(f for f in report["figures"] if f["key"] == "shelter_nights")
    cost = next(f for f in report["figures"] if f["key"] == "shelter_cost")
    hidden = [[c["value"] is None for c in r["cells"]] for r in nights["rows"]]
    assert hidden == [[c["value"] is None for c in r["cells"]] for r in cost["rows"]]


def test_the_versions_list_says_what_changed(client, org, make_case):
    from steering.services import freeze_month

    coordinator = org.users["coordinator"]
    for n in range(8):
        make_case(unit_kind=Unit.Kind.ADULT, opened_on=date(2026, 3, 2 + n))
    first = freeze_month(district=org.district, period=parse_period("2026-03"), actor=coordinator)
    late = make_case(unit_kind=Unit.Kind.ADULT, children=[2016], opened_on=date(2026, 3, 20))
    EvictionThreat.objects.create(
        case=late,
        arrears_notice_on=date(2026, 3, 20),
        outcome="evicted",
        concluded_on=date(2026, 3, 28),
    )
    _as(client, coordinator).post(reverse("steering:regenerate", args=[first.pk]))
    second = MonthlyReport.objects.get(period="2026-03", version=2)
    changes = second.data["changes"]["figures"]
    new_cases = next(c for c in changes if c["title"] == "New cases by kind")
    # 8 → 9 new cases: a change of one is hidden, not shown.
    assert new_cases["hidden"] >= 1
    fig = next(f for f in second.data["figures"] if f["key"] == "new_cases")
    assert fig["total"]["cells"][-1]["value"] is None
    page = client.get(reverse("steering:report", args=[second.pk])).content.decode()
    assert (
        "numbers shown before are now hidden" in page or "tal som visades förut är nu dolda" in page
    )
    assert "Nya ärenden per slag" in page


def test_the_api_gives_key_figures_and_24_months_of_trend(client, steering, stats_cases):
    api = _as(client, steering).get("/api/v1/stats/", {"period": "2026-03"}).json()
    assert [k["key"] for k in api["key_figures"]] == [
        "evictions",
        "children_evicted",
        "home_kept",
        "shelter_nights",
        "shelter_cost",
        "takeovers",
        "back_6",
        "back_12",
    ]
    assert [p["month"] for p in api["trend"]][0] == "2024-04"
    assert [p["month"] for p in api["trend"]][-1] == "2026-03" and len(api["trend"]) == 24
    # Each point is a published cell of that month (the same everywhere it is shown).
    march = next(p for p in api["trend"] if p["month"] == "2026-03")
    assert march["values"]["evictions"] == api["key_figures"][0]["current"]
