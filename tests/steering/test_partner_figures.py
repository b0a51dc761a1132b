"""Steering figures of the partners app (issue 20, point 8): referrals by partner and
outcome, meeting-place visits and unique visitors, with values and with suppression."""

from __future__ import annotations

from datetime import date

import pytest

from partners import services as partner_services
from partners.models import DailyTally, Partner, Referral
from partners.reports import annual_report
from steering import stats
from steering.figures import partners as partner_figures
from steering.periods import parse_period

pytestmark = pytest.mark.django_db


def _figure(report, key):
    return next(f for f in report["figures"] if f["key"] == key)


def _row(figure, label):
    return next(r for r in figure["rows"] if r["label"] == label)


def _values(cells):
    return [c["value"] for c in cells]


def _partner(org, name, kind=Partner.Kind.ASSOCIATION):
    return partner_services.create_partner(
        actor=org.users["coordinator"],
        district=org.district,
        data=partner_services.PartnerData(name=name, kind=kind),
    )


def _referrals(org, case, partner, n, **steps):
    for _ in range(n):
        Referral.objects.create(
            case=case,
            person_id=case.household.head_id,
            partner=partner,
            referred_by=org.users["caseworker"],
            consent_on=date(2026, 3, 1),
            proposed_on=date(2026, 3, 1),
            **steps,
        )


def build_referred(org, cases):
    balans = _partner(org, "Balans")
    skuld = _partner(org, "Skuldrådgivningen", Partner.Kind.DEBT_COUNSELLING)
    # Balans: 6 sent in March, all accepted, 5 ended in April as completed.
    _referrals(
        org,
        cases.a,
        balans,
        5,
        status="ended",
        sent_on=date(2026, 3, 2),
        answered_on=date(2026, 3, 5),
        attended_on=date(2026, 3, 10),
        ended_on=date(2026, 4, 20),
        outcome="completed",
    )
    _referrals(
        org,
        cases.b,
        balans,
        1,
        status="accepted",
        sent_on=date(2026, 3, 3),
        answered_on=date(2026, 3, 9),
    )
    # Skuldrådgivningen: 2 sent in March, one declined: too few to publish.
    _referrals(org, cases.a, skuld, 1, status="sent", sent_on=date(2026, 3, 4))
    _referrals(
        org,
        cases.b,
        skuld,
        1,
        status="declined",
        sent_on=date(2026, 3, 4),
        answered_on=date(2026, 3, 6),
        decline_reason="Fullt",
    )
    return balans, skuld


@pytest.fixture
def referred(org, cases):
    """The referrals of `build_referred`."""
    return build_referred(org, cases)


def test_columns_follow_the_outcomes():
    keys = [c.key for c in partner_figures.REFERRALS_BY_PARTNER.columns]
    assert keys[4:] == [f"ended_{v}" for v in Referral.Outcome.values]


def test_referrals_by_partner_and_outcome_with_values(org, referred):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    figure = _figure(report, "referrals_by_partner")
    # sent, accepted, declined, attended, ended x4
    assert _values(_row(figure, "Balans")["cells"]) == [6, 6, 0, 5, 0, 0, 0, 0]
    assert _values(_row(figure, "Skuldrådgivningen")["cells"]) == [2, 0, 1, 0, 0, 0, 0, 0]
    april = stats.build_report(district=org.district, period=parse_period("2026-04"), limit=1)
    assert _values(_row(_figure(april, "referrals_by_partner"), "Balans")["cells"])[4] == 5
    q2 = stats.build_report(district=org.district, period=parse_period("2026-Q1"), limit=1)
    assert _values(_row(_figure(q2, "referrals_by_partner"), "Balans")["cells"])[0] == 6


def test_a_partner_with_one_or_two_referrals_is_suppressed(org, referred):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=5)
    figure = _figure(report, "referrals_by_partner")
    small = _row(figure, "Skuldrådgivningen")["cells"]
    assert small[0]["value"] is None and small[0]["display"] != "2"
    assert small[2]["value"] is None  # the one declined referral
    balans = _row(figure, "Balans")["cells"]
    assert balans[0]["value"] is None or balans[0]["value"] == 6
    # The district total cannot give the small partner away: 6 + 2 is not published
    # beside a published 6.
    total = figure["total"]["cells"][0]["value"]
    assert not (total is not None and balans[0]["value"] is not None)
    shown = [c["value"] for row in figure["rows"] for c in row["cells"]]
    assert 1 not in shown and 2 not in shown


def build_places(org):
    balder = _partner(org, "Träfflokalen Balder", Partner.Kind.MEETING_PLACE).meeting_place
    vistet = _partner(org, "Vistet", Partner.Kind.MEETING_PLACE).meeting_place
    rows = []
    for day in range(1, 21):  # March: 20 days, 10 visits each, 2 first-time visitors
        rows.append(
            DailyTally(
                place=balder,
                day=date(2026, 3, day),
                visits=10,
                new_visitors=2,
                women=3,
                men=7,
                from_this_district=10,
            )
        )
    rows.append(
        DailyTally(
            place=vistet,
            day=date(2026, 3, 2),
            visits=3,
            new_visitors=1,
            gender_other_or_unknown=3,
            residence_unknown=3,
        )
    )
    rows.append(
        DailyTally(
            place=balder,
            day=date(2026, 4, 2),
            visits=8,
            new_visitors=1,
            women=8,
            from_this_district=8,
        )
    )
    DailyTally.objects.bulk_create(rows)
    return balder, vistet


@pytest.fixture
def places(org):
    """The meeting places and tallies of `build_places`."""
    return build_places(org)


def test_meeting_place_visits_are_the_annual_reports(org, places):
    balder, vistet = places
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    figure = _figure(report, "meeting_place_visits")
    assert _values(_row(figure, "Träfflokalen Balder")["cells"]) == [200, 40]
    assert _values(_row(figure, "Vistet")["cells"]) == [3, 1]
    year = stats.build_report(district=org.district, period=parse_period("2026"), limit=1)
    row = _values(_row(_figure(year, "meeting_place_visits"), "Träfflokalen Balder")["cells"])
    # The same numbers as the meeting place's own annual report: computed once.
    annual = annual_report([balder], 2026).by_place[balder.pk][0]
    assert row == [annual.visits, annual.unique_visitors] == [208, 41]


def test_small_visit_counts_are_suppressed(org, places):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=5)
    figure = _figure(report, "meeting_place_visits")
    vistet = _row(figure, "Vistet")["cells"]
    assert [c["value"] for c in vistet] == [None, None]
    # With the district total published (203), Balder's 200 would give Vistet's 3 away:
    # it is hidden too (secondary suppression), the same way as every other table.
    assert _values(figure["total"]["cells"]) == [203, 41]
    balder = _row(figure, "Träfflokalen Balder")["cells"]
    assert [c["value"] for c in balder] == [None, None]
    assert [c["hidden"] for c in balder] == ["secondary", "secondary"]
