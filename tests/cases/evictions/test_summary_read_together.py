"""The decision summary a unit sees of a case handed over to it reads the case's current
threat and its upcoming deadlines together (`current_threat_and_upcoming`): one round
trip where there were two (issue 22, the twenty-ninth round), and the same as each read
alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bokvar.models import Unit
from cases.evictions import page, selectors
from cases.models import Deadline, EvictionThreat
from tests.pipelines import one_round_trip, statements_sent

pytestmark = pytest.mark.django_db


def _case_with_threat(make_case):
    case = make_case(unit_kind=Unit.Kind.ADULT)
    today = timezone.localdate()
    threat = EvictionThreat.objects.create(case=case, termination_served_on=today)
    for days in (9, 3, 30, 12):
        Deadline.objects.create(
            case=case,
            threat=threat if days == 9 else None,
            kind=Deadline.Kind.FOLLOW_UP,
            due_on=today + timedelta(days),
        )
    return case, threat


def test_together_is_the_same_as_apart(make_case):
    case, threat = _case_with_threat(make_case)
    got_threat, got_deadlines = selectors.current_threat_and_upcoming(case, limit=3)
    assert got_threat == selectors.current_threat(case) == threat
    assert got_threat.case is case
    assert got_deadlines == selectors.upcoming_deadlines(case, limit=3)
    today = timezone.localdate()
    assert [d.due_on for d in got_deadlines] == [today + timedelta(n) for n in (3, 9, 12)]
    assert all(d.case is case for d in got_deadlines)
    bare = make_case(unit_kind=Unit.Kind.ADULT)
    assert selectors.current_threat_and_upcoming(bare, limit=3) == (None, [])
    # The summary's lines from them: the threat's stage, then the three nearest.
    lines = [value for _label, value in page.summary(case)]
    assert lines[0] == threat.get_stage_display()
    assert [(today + timedelta(n)).isoformat() in lines[-1] for n in (3, 9, 12, 30)] == [
        True,
        True,
        True,
        False,
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg's pipeline")
def test_the_threat_and_the_deadlines_go_in_one_round_trip(make_case):
    case, _threat = _case_with_threat(make_case)
    list(page.summary(case))  # the statements kept
    with statements_sent() as sent:
        lines = list(page.summary(case))
    assert lines
    assert one_round_trip(sent, 'SELECT "cases_evictionthreat"', 'SELECT "cases_deadline"')
