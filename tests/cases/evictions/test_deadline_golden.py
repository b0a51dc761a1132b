"""The golden table: dated scenarios of the recovery period (återvinningsfristen), each
with the lawful last day worked out by hand from the law, not from the code under test.

Rules (see docs/deadlines.md for the sources):
- jordabalken 12 kap. 44 § första stycket: three weeks from the later of the tenant being
  served the termination (with the notice of the right to recover) and the landlord's
  notice being given (lämnats) to the social welfare board.
- jordabalken 12 kap. 8 §: an application for eviction served on the tenant counts as the
  termination; förordning (1978:314) formulär 1: "Som uppsägning räknas också
  stämningsansökan eller ansökan om avhysning".
- lag (1930:173) om beräkning av lagstadgad tid 1 §: a period in weeks ends on the day with
  the same weekday name; 2 §: a last day on a Saturday, Sunday, other public holiday,
  Midsummer Eve, Christmas Eve or New Year's Eve moves to the next weekday (vardag).

Every date here is fixed and in the past, so nothing depends on the day the suite runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from bokvar import legal_calendar
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData
from cases.models import Case
from tests.case_fixtures import case_maker
from tests.shared_data import SHARED, load_organisation, register_layer

pytestmark = pytest.mark.django_db

D = date.fromisoformat
# A day after every date of the table: every recorded date is in the past for it, and it
# is fixed, so a run across midnight changes nothing.
TODAY = D("2031-01-15")


@dataclass(frozen=True)
class Scenario:
    name: str
    served: date | None  # notice of termination served on the tenant
    given: date | None  # the landlord's notice given/sent to the board (lämnats)
    received: date | None  # the day the board received it
    expected: date | None  # the lawful last day to pay
    reason: str
    application_on: date | None = None
    application_served: date | None = None  # 12 kap. 8 §
    illness: bool = False  # 12 kap. 44 § andra stycket: does not move the last day


def same(day: str, **kw) -> dict:
    """Served and notice given and received on one day (the common case)."""
    return {"served": D(day), "given": D(day), "received": D(day), **kw}


G = [
    # The issue's own examples.
    Scenario(
        "issue: 2025-12-03 ends on Christmas Eve",
        **same("2025-12-03"),
        expected=D("2025-12-29"),
        reason="12-24 Christmas Eve, 25-26 Christmas, 27-28 weekend",
    ),
    Scenario(
        "issue: 2025-05-30 ends on Midsummer Eve",
        **same("2025-05-30"),
        expected=D("2025-06-23"),
        reason="06-20 Midsummer Eve, 21 Midsummer Day, 22 Sunday",
    ),
    Scenario(
        "issue: 2026-03-13 ends on Good Friday",
        **same("2026-03-13"),
        expected=D("2026-04-07"),
        reason="04-03 Good Friday, 04 Saturday, 05 Easter Day, 06 Easter Monday",
    ),
    # Plain weekdays: three weeks to the day (1930:173 1 §).
    Scenario("plain Tuesday", **same("2027-09-14"), expected=D("2027-10-05"), reason="weekday"),
    Scenario(
        "Whit Monday is no holiday since 2005",
        **same("2025-05-19"),
        expected=D("2025-06-09"),
        reason="Whit Monday is a working day",
    ),
    # Weekends.
    Scenario(
        "Saturday service",
        served=D("2026-01-10"),
        given=D("2026-01-08"),
        received=D("2026-01-09"),
        expected=D("2026-02-02"),
        reason="01-31 Saturday",
    ),
    Scenario(
        "Sunday service",
        served=D("2025-09-07"),
        given=D("2025-09-05"),
        received=D("2025-09-05"),
        expected=D("2025-09-29"),
        reason="09-28 Sunday",
    ),
    Scenario(
        "All Saints' Day",
        **same("2025-10-11"),
        expected=D("2025-11-03"),
        reason="11-01 All Saints' Day (Saturday)",
    ),
    # New Year and Epiphany, across year ends.
    Scenario(
        "New Year's Eve then New Year's Day",
        **same("2025-12-10"),
        expected=D("2026-01-02"),
        reason="12-31 New Year's Eve, 01-01 New Year's Day",
    ),
    Scenario(
        "New Year's Day on a Friday",
        **same("2026-12-11"),
        expected=D("2027-01-04"),
        reason="01-01 New Year's Day, then a weekend",
    ),
    Scenario(
        "New Year's Eve on a Friday",
        **same("2027-12-10"),
        expected=D("2028-01-03"),
        reason="12-31 New Year's Eve, 01-01 Saturday, 01-02 Sunday",
    ),
    Scenario(
        "New Year's Eve on a Monday",
        **same("2029-12-10"),
        expected=D("2030-01-02"),
        reason="12-31 New Year's Eve, 01-01 New Year's Day",
    ),
    Scenario(
        "Epiphany",
        **same("2025-12-16"),
        expected=D("2026-01-07"),
        reason="01-06 Epiphany",
    ),
    Scenario(
        "Epiphany across the year end",
        **same("2026-12-16"),
        expected=D("2027-01-07"),
        reason="01-06 Epiphany",
    ),
    Scenario(
        "Epiphany on a Saturday",
        **same("2028-12-16"),
        expected=D("2029-01-08"),
        reason="01-06 Epiphany (Saturday), 01-07 Sunday",
    ),
    # Easter.
    Scenario(
        "Good Friday 2025",
        **same("2025-03-28"),
        expected=D("2025-04-22"),
        reason="Good Friday, weekend, Easter Monday",
    ),
    Scenario(
        "Easter Monday 2025",
        **same("2025-03-31"),
        expected=D("2025-04-22"),
        reason="04-21 Easter Monday",
    ),
    Scenario(
        "Good Friday 2027",
        **same("2027-03-05"),
        expected=D("2027-03-30"),
        reason="03-26 Good Friday, weekend, 03-29 Easter Monday",
    ),
    Scenario(
        "Easter Monday 2029",
        **same("2029-03-12"),
        expected=D("2029-04-03"),
        reason="04-02 Easter Monday",
    ),
    Scenario(
        "Good Friday 2030",
        **same("2030-03-29"),
        expected=D("2030-04-23"),
        reason="04-19 Good Friday, weekend, 04-22 Easter Monday",
    ),
    # May Day, Ascension, National Day.
    Scenario("May Day 2025", **same("2025-04-10"), expected=D("2025-05-02"), reason="05-01"),
    Scenario(
        "May Day on a Friday",
        **same("2026-04-10"),
        expected=D("2026-05-04"),
        reason="05-01 May Day, then a weekend",
    ),
    Scenario(
        "Ascension 2025",
        **same("2025-05-08"),
        expected=D("2025-05-30"),
        reason="05-29 Ascension Day",
    ),
    Scenario(
        "Ascension 2026",
        **same("2026-04-23"),
        expected=D("2026-05-15"),
        reason="05-14 Ascension Day",
    ),
    Scenario(
        "Ascension 2030",
        **same("2030-05-09"),
        expected=D("2030-05-31"),
        reason="05-30 Ascension Day",
    ),
    Scenario(
        "National Day on a Friday",
        **same("2025-05-16"),
        expected=D("2025-06-09"),
        reason="06-06 National Day, then a weekend",
    ),
    Scenario(
        "National Day on a Tuesday",
        **same("2028-05-16"),
        expected=D("2028-06-07"),
        reason="06-06 National Day",
    ),
    Scenario(
        "National Day on a Saturday",
        **same("2026-05-16"),
        expected=D("2026-06-08"),
        reason="06-06 National Day (Saturday), Sunday",
    ),
    # Midsummer Eve, every year of the span that is not above.
    Scenario(
        "Midsummer Eve 2026",
        **same("2026-05-29"),
        expected=D("2026-06-22"),
        reason="06-19 Midsummer Eve",
    ),
    Scenario(
        "Midsummer Eve 2027",
        **same("2027-06-04"),
        expected=D("2027-06-28"),
        reason="06-25 Midsummer Eve",
    ),
    Scenario(
        "Midsummer Eve 2028",
        **same("2028-06-02"),
        expected=D("2028-06-26"),
        reason="06-23 Midsummer Eve",
    ),
    Scenario(
        "Midsummer Eve 2029",
        **same("2029-06-01"),
        expected=D("2029-06-25"),
        reason="06-22 Midsummer Eve",
    ),
    Scenario(
        "Midsummer Eve 2030",
        **same("2030-05-31"),
        expected=D("2030-06-24"),
        reason="06-21 Midsummer Eve",
    ),
    # Christmas.
    Scenario(
        "Christmas Eve on a Thursday",
        **same("2026-12-03"),
        expected=D("2026-12-28"),
        reason="12-24 Christmas Eve, 25 Christmas Day, weekend",
    ),
    Scenario(
        "Christmas Day on a Friday",
        **same("2026-12-04"),
        expected=D("2026-12-28"),
        reason="12-25 Christmas Day, 26 Boxing Day (Saturday), Sunday",
    ),
    Scenario(
        "Boxing Day on a Tuesday",
        **same("2028-12-05"),
        expected=D("2028-12-27"),
        reason="12-26 Boxing Day",
    ),
    Scenario(
        "Christmas Eve on a Monday",
        **same("2029-12-03"),
        expected=D("2029-12-27"),
        reason="12-24 Christmas Eve, 25-26 Christmas",
    ),
    Scenario(
        "Christmas Eve on a Tuesday",
        **same("2030-12-03"),
        expected=D("2030-12-27"),
        reason="12-24 Christmas Eve, 25-26 Christmas",
    ),
    # Leap years.
    Scenario(
        "ends on 29 February",
        **same("2028-02-08"),
        expected=D("2028-02-29"),
        reason="leap day is an ordinary Tuesday",
    ),
    Scenario(
        "across 29 February",
        **same("2028-02-15"),
        expected=D("2028-03-07"),
        reason="February has 29 days in 2028",
    ),
    Scenario(
        "across February, no leap day",
        **same("2027-02-15"),
        expected=D("2027-03-08"),
        reason="February has 28 days in 2027",
    ),
    # Which date starts the period.
    Scenario(
        "board's notice given after service",
        served=D("2026-02-02"),
        given=D("2026-02-05"),
        received=D("2026-02-06"),
        expected=D("2026-02-26"),
        reason="counts from the notice given to the board, the later date",
    ),
    Scenario(
        "notice given before it reached the board",
        served=D("2026-02-02"),
        given=D("2026-02-03"),
        received=D("2026-02-06"),
        expected=D("2026-02-24"),
        reason="counts from the day the notice was given, not received (NJA 1985 s. 586)",
    ),
    Scenario(
        "only the receipt is known: at the latest",
        served=D("2026-02-02"),
        given=None,
        received=D("2026-02-06"),
        expected=D("2026-02-27"),
        reason="from the receipt: the lawful day may be earlier",
    ),
    Scenario(
        "board notified before the service",
        served=D("2026-10-14"),
        given=D("2026-10-09"),
        received=D("2026-10-12"),
        expected=D("2026-11-04"),
        reason="counts from the service",
    ),
    # The application as the termination (12 kap. 8 §).
    Scenario(
        "issue: application served before any termination",
        served=None,
        given=D("2026-11-02"),
        received=D("2026-11-03"),
        application_on=D("2026-11-01"),
        application_served=D("2026-11-06"),
        expected=D("2026-11-27"),
        reason="the application served on 11-06 is the termination",
    ),
    Scenario(
        "application served, board told later",
        served=None,
        given=D("2026-03-09"),
        received=D("2026-03-10"),
        application_on=D("2026-03-02"),
        application_served=D("2026-03-04"),
        expected=D("2026-03-30"),
        reason="counts from the board's notice, the later date",
    ),
    Scenario(
        "application served at Christmas",
        served=None,
        given=D("2025-12-01"),
        received=D("2025-12-02"),
        application_on=D("2025-11-28"),
        application_served=D("2025-12-03"),
        expected=D("2025-12-29"),
        reason="12-24 Christmas Eve",
    ),
    Scenario(
        "termination first, application served later",
        served=D("2026-09-01"),
        given=D("2026-09-01"),
        received=D("2026-09-02"),
        application_on=D("2026-09-08"),
        application_served=D("2026-09-10"),
        expected=D("2026-09-22"),
        reason="the period runs from the first termination served",
    ),
    Scenario(
        "application recorded inside the period",
        **same("2026-09-01"),
        application_on=D("2026-09-07"),
        expected=D("2026-09-22"),
        reason="an application does not end the period",
    ),
    Scenario(
        "illness: the last day is the same",
        **same("2026-01-12"),
        illness=True,
        expected=D("2026-02-02"),
        reason="44 § second paragraph extends, never shortens",
    ),
    # No period yet.
    Scenario(
        "no notice to the board yet",
        served=D("2026-01-12"),
        given=None,
        received=None,
        expected=None,
        reason="both dates are needed",
    ),
]


def test_the_table_is_large_and_covers_every_year():
    assert len(G) >= 40
    years = {s.expected.year for s in G if s.expected}
    assert years >= set(range(2025, 2031))
    assert len({s.name for s in G}) == len(G)


def test_every_expected_last_day_is_a_working_day():
    """A check on the table itself: every hand-worked answer is a weekday that is no
    holiday or eve of 1930:173 2 §, and no more than five days after three weeks."""
    for s in G:
        if s.expected:
            assert s.expected.weekday() < 5, s.name
            assert legal_calendar.is_working_day(s.expected), s.name


def _data(s: Scenario) -> ThreatData:
    """Only the fields a scenario uses, so the table runs against older code too."""
    values: dict[str, Any] = {"termination_served_on": s.served, "board_notified_on": s.received}
    if s.given:
        values["board_notice_given_on"] = s.given
    if s.application_on:
        values["application_to"] = "enforcement"
        values["application_on"] = s.application_on
    if s.application_served:
        values["application_served_on"] = s.application_served
    if s.illness:
        values["prevented_by_illness"] = True
    return ThreatData(**values)


def _layer_case(**kwargs) -> int:
    district, units, users = load_organisation()
    return case_maker(SimpleNamespace(district=district, units=units, users=users))(**kwargs).pk


# Each scenario records its threat on a case of its own, rolled back after the test: the
# case itself (the same for every scenario) is made once for the consecutive tests of a
# kind, as a layer (tests/shared_data.py), not through create_case per scenario.
@register_layer("deadline_golden_case")
def _build_case_layer() -> int:
    return _layer_case()


@register_layer("deadline_golden_assigned_case")
def _build_assigned_case_layer() -> int:
    return _layer_case(assignees=["caseworker"])


@pytest.fixture
def deadline_golden_case(make_case) -> Case:
    pk = SHARED.layer_data("deadline_golden_case")
    return make_case() if pk is None else Case.objects.get(pk=pk)


@pytest.fixture
def deadline_golden_assigned_case(make_case) -> Case:
    """An adult-unit case with the caseworker assigned: the reminders' recipient."""
    pk = SHARED.layer_data("deadline_golden_assigned_case")
    return make_case(assignees=["caseworker"]) if pk is None else Case.objects.get(pk=pk)


@pytest.mark.parametrize("s", G, ids=[s.name for s in G])
def test_the_service_gives_the_lawful_last_day(org, deadline_golden_case, s):
    case = deadline_golden_case
    # Recorded on the day of the last event, as staff would: the period is still running.
    recorded = [s.served, s.given, s.received, s.application_on, s.application_served]
    today = max(d for d in recorded if d)
    threat = threats.create_threat(
        actor=org.users["coordinator"], case_id=case.pk, data=_data(s), today=today
    )
    assert threat.recovery_deadline == s.expected, s.reason
    if s.expected:
        row = threat.deadlines.get(kind="recovery")
        assert row.due_on == s.expected
        # Open: an application recorded inside the period does not close it.
        assert row.done_at is None
        assert threat.recovery_deadline_at_the_latest is (s.given is None)


@pytest.mark.parametrize("s", [s for s in G if s.expected], ids=[s.name for s in G if s.expected])
def test_reminders_of_the_table_go_out_once_each_on_working_days(
    org, deadline_golden_assigned_case, s
):
    """The same table drives the reminders: the scheduler runs every day (twice) from
    fifteen days before the last day to the day itself; each lead time's reminder goes out
    exactly once, on the working day on or before its calendar day, never on a weekend,
    holiday or eve."""
    from bokvar.models import Notification
    from cases.evictions.services import deadlines as reminders

    case = deadline_golden_assigned_case
    recorded = [s.served, s.given, s.received, s.application_on, s.application_served]
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=_data(s),
        today=max(d for d in recorded if d),
    )
    row = threat.deadlines.get(kind="recovery")
    prefix = f"deadline:{row.pk}:"
    sent_on: dict[str, date] = {}
    day = s.expected - timedelta(days=15)  # lead 7 moved back over Christmas: 12 days
    while day <= s.expected:
        for _run in range(2):  # a second run the same day sends nothing more
            reminders.send_due_reminders(today=day)
        keys = Notification.objects.filter(
            kind="deadline_reminder", dedupe_key__startswith=prefix
        ).values_list("dedupe_key", flat=True)
        for key in keys:
            sent_on.setdefault(key.rsplit(":", 1)[1], day)
        day += timedelta(days=1)
    assert set(sent_on) == {"7", "2", "0"}, s.name
    for lead, on in sent_on.items():
        assert legal_calendar.is_working_day(on), (s.name, lead, on)
        calendar_day = s.expected - timedelta(days=int(lead))
        assert on <= calendar_day and (calendar_day - on).days <= 5, (s.name, lead, on)
        # The latest working day on or before the calendar day: none lies between.
        between = [on + timedelta(days=n) for n in range(1, (calendar_day - on).days + 1)]
        assert not any(legal_calendar.is_working_day(d) for d in between), (s.name, lead)
    # Exactly one reminder per lead time and recipient, however often the task ran.
    per_lead = Notification.objects.filter(
        kind="deadline_reminder", dedupe_key__startswith=prefix
    ).count()
    assert per_lead == 3


def _form(s: Scenario) -> dict:
    post = {
        "termination_served_on": s.served.isoformat() if s.served else "",
        "board_notice_given_on": s.given.isoformat() if s.given else "",
        "board_notified_on": s.received.isoformat() if s.received else "",
    }
    if s.application_on:
        post["application_to"] = "enforcement"
        post["application_on"] = s.application_on.isoformat()
    if s.application_served:
        post["application_served_on"] = s.application_served.isoformat()
    if s.illness:
        post["prevented_by_illness"] = "on"
    return post


def test_the_pages_give_the_same_last_days(org, make_case, login):
    """Through the form, as staff enter it: every scenario whose dates have all passed
    (the form refuses dates ahead of the real today, read here at test time)."""
    from django.urls import reverse
    from django.utils import timezone

    from cases.models import EvictionThreat

    today = timezone.localdate()
    client = login(org.users["coordinator"])
    checked = 0
    for s in G:
        recorded = [s.served, s.given, s.received, s.application_on, s.application_served]
        if max(d for d in recorded if d) > today:
            continue
        case = make_case()
        response = client.post(reverse("cases:threat_new", args=[case.pk]), _form(s))
        assert response.status_code == 302, (s.name, response.context["form"].errors)
        threat = EvictionThreat.objects.get(case=case)
        assert threat.recovery_deadline == s.expected, s.name
        checked += 1
    assert checked >= 20  # the 2025-2026 rows at least
