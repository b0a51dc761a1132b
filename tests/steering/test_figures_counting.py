"""Counting rules of the figures with known answers: distinct people and households in
the district total, children by age at the end of the period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bokvar.models import Unit
from cases.models import Case, EvictionThreat
from housing.models import Shelter, ShelterNight
from steering import stats
from steering.periods import parse_period

pytestmark = pytest.mark.django_db


def _figure(report, key):
    return next(f for f in report["figures"] if f["key"] == key)


def _by_column(figure, cells):
    return {c["key"]: cell["value"] for c, cell in zip(figure["columns"], cells, strict=False)}


def _unit_row(report, key, org, kind):
    figure = _figure(report, key)
    row = next(r for r in figure["rows"] if r["label"] == org.units[kind].name)
    return _by_column(figure, row["cells"])


def _total(report, key):
    figure = _figure(report, key)
    return _by_column(figure, figure["total"]["cells"])


def test_a_person_paid_by_two_units_is_one_person_in_the_district(org, make_case):
    shelter = Shelter.objects.create(name="Härbärget", district=org.district)
    head = make_case(unit_kind=Unit.Kind.ADULT).household.head
    other = make_case(unit_kind=Unit.Kind.ADULT).household.head
    nights = [
        (head, Unit.Kind.ADULT, 3),
        (head, Unit.Kind.HOUSING_TEAM, 4),
        (other, Unit.Kind.HOUSING_TEAM, 5),
    ]
    for person, kind, day in nights:
        ShelterNight.objects.create(
            person=person,
            shelter=shelter,
            night=date(2026, 3, day),
            cost=Decimal(300),
            paying_unit=org.units[kind],
        )
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    nights = _figure(report, "shelter_nights")
    rows = {r["label"]: r["cells"][0] for r in nights["rows"]}
    adult = rows[org.units[Unit.Kind.ADULT].name]
    team = rows[org.units[Unit.Kind.HOUSING_TEAM].name]
    assert (adult["value"], adult["people"]) == (1, 1)
    assert (team["value"], team["people"]) == (2, 2)
    # Three nights by two people, not three.
    total = nights["total"]["cells"][0]
    assert (total["value"], total["people"]) == (3, 2)
    cost = _figure(report, "shelter_cost")["total"]["cells"][0]
    assert cost["value"] == 900 and cost["people"] == 2


def test_a_household_with_threats_in_two_units_counts_once_in_the_district(org, make_case):
    first = make_case(unit_kind=Unit.Kind.ADULT, children=[2015, 2018])
    second = make_case(unit_kind=Unit.Kind.HOUSING_TEAM)
    Case.objects.filter(pk=second.pk).update(household=first.household)
    for case in (first, second):
        EvictionThreat.objects.create(case=case, arrears_notice_on=date(2026, 3, 2))
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    expected = {"households": 1, "children": 2}
    assert _unit_row(report, "children_under_threat", org, Unit.Kind.ADULT) == expected
    assert _unit_row(report, "children_under_threat", org, Unit.Kind.HOUSING_TEAM) == expected
    assert _total(report, "children_under_threat") == expected
    # Suppressed: the 1 and 2 are small, the totals of distinct counts with them.
    hidden = stats.build_report(district=org.district, period=parse_period("2026-03"))
    assert [c["display"] for c in _figure(hidden, "children_under_threat")["total"]["cells"]] == [
        "<5",
        "<5",
    ]


def test_children_are_counted_when_under_18_at_the_end_of_the_period(org, make_case):
    # In 2026: 2009 is 17, 2008 is 18 (counted as grown up); 2026 was not born in 2025.
    mixed = make_case(unit_kind=Unit.Kind.ADULT, children=[2008, 2009, 2026])
    grown = make_case(unit_kind=Unit.Kind.ADULT, children=[2001])
    for case in (mixed, grown):
        EvictionThreat.objects.create(case=case, arrears_notice_on=date(2025, 12, 1))
    threat = EvictionThreat.objects.create(
        case=make_case(unit_kind=Unit.Kind.ADULT, children=[2000, 2010]),
        termination_served_on=date(2026, 1, 5),
        eviction_on=date(2026, 3, 10),
        outcome="evicted",
        concluded_on=date(2026, 3, 10),
    )
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    # The household of grown-up children only is no household with children; the evicted
    # household was under threat in March too (concluded on the 10th).
    assert _total(report, "children_under_threat") == {"households": 2, "children": 3}
    assert _total(report, "children_in_evictions") == {"households": 1, "children": 1}
    # In December 2025 the child born 2008 was 17 and the one born 2026 not yet born;
    # the evicted household's threat had not begun.
    earlier = stats.build_report(district=org.district, period=parse_period("2025-12"), limit=1)
    assert _total(earlier, "children_under_threat") == {"households": 1, "children": 2}
    assert threat.outcome == "evicted"
