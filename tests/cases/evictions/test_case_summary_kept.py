"""A case's next open deadlines and newest threat (the handover page's summary) are read
by statements compiled once and run with the case's id (issue 22): the ORM's rows, each
with its case at hand, read as they are now."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from cases.core.selectors import kept
from cases.evictions import selectors
from cases.evictions.services import deadlines as deadline_services
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _nothing_kept():
    selectors._UPCOMING.statements.clear()
    selectors._CURRENT_THREAT.statements.clear()
    yield
    selectors._UPCOMING.statements.clear()
    selectors._CURRENT_THREAT.statements.clear()


def _orm(case, limit):
    upcoming = list(
        case.deadlines.filter(done_at__isnull=True)
        .select_related("threat")
        .order_by("due_on", "id")[:limit]
    )
    return upcoming, case.threats.order_by("-created_at", "-id").first()


def _threat(org, case, days_ago):
    served = TODAY - timedelta(days=days_ago)
    return threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=served, board_notice_given_on=served),
        today=TODAY,
    )


def test_the_summary_reads_are_the_orms_for_every_case(org, make_case, django_assert_num_queries):
    quiet, busy = make_case(), make_case()
    coordinator = org.users["coordinator"]
    _threat(org, busy, 20)
    newest = _threat(org, busy, 3)
    for days in (9, 1, 4, 30):
        deadline_services.add_follow_up(
            actor=coordinator, case=busy, due_on=TODAY + timedelta(days)
        )
    done = deadline_services.add_follow_up(actor=coordinator, case=busy, due_on=TODAY)
    deadline_services.complete_deadline(actor=coordinator, deadline_id=done.pk)
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiling:
        for case in (quiet, busy, quiet, busy):
            for limit in (3, 5):
                upcoming, threat = _orm(case, limit)
                got = selectors.upcoming_deadlines(case, limit=limit)
                assert [(d.pk, d.threat_id, d.due_on) for d in got] == [
                    (d.pk, d.threat_id, d.due_on) for d in upcoming
                ]
                assert selectors.current_threat(case) == threat
    # One statement for each limit, one for the threat: for every case.
    assert compiling.call_count == 3
    got = selectors.upcoming_deadlines(busy, limit=3)
    assert done.pk not in {d.pk for d in got} and len(got) == 3
    threats_by_the_orm = [d.threat for d in _orm(busy, 3)[0]]
    with django_assert_num_queries(0):  # each row has its case and threat at hand
        assert all(d.case is busy for d in got)
        assert [d.threat for d in got] == threats_by_the_orm
    assert selectors.current_threat(busy).pk == newest.pk
    assert selectors.current_threat(quiet) is None and selectors.upcoming_deadlines(quiet) == []


def test_a_new_threat_and_a_done_deadline_show_at_once(org, make_case):
    case = make_case()
    coordinator = org.users["coordinator"]
    first = _threat(org, case, 10)
    assert selectors.current_threat(case).pk == first.pk
    second = _threat(org, case, 2)
    assert selectors.current_threat(case).pk == second.pk
    soon = selectors.upcoming_deadlines(case)[0]
    deadline_services.complete_deadline(actor=coordinator, deadline_id=soon.pk)
    assert soon.pk not in {d.pk for d in selectors.upcoming_deadlines(case)}
