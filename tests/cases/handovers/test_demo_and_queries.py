"""Demo handovers in every state, and handover pages whose cost does not grow with data."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.models import Unit
from cases.handovers.services import escalation
from cases.models import Handover

from .conftest import send

pytestmark = pytest.mark.django_db


def test_demo_has_pending_accepted_returned_and_overdue_handovers(demo_seeded):
    statuses = set(Handover.objects.values_list("status", flat=True))
    assert {"pending", "accepted", "returned"} <= statuses
    now = timezone.now()
    overdue = [
        h for h in Handover.objects.filter(status="pending") if escalation.arrived_steps(h, now=now)
    ]
    assert overdue
    count = Handover.objects.count()
    call_command("seed_demo", "--password", "pw-for-test-1")
    assert Handover.objects.count() == count


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_inbox_and_case_page_queries_do_not_grow(make_case, org, login, caseworker, caseworker2):
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"])
    send(case, actor=caseworker, to_unit=income)
    for _ in range(2):
        send(make_case(unit_kind=Unit.Kind.ADULT), actor=caseworker, to_unit=income)
    # Warm up once: the first read ever also creates the access log's chain head.
    login(caseworker).get(f"/cases/{case.pk}/")
    inbox_few = _count(login(caseworker2), "/cases/handovers/")
    page_few = _count(login(caseworker), f"/cases/{case.pk}/")
    for _ in range(4):
        send(make_case(unit_kind=Unit.Kind.ADULT), actor=caseworker, to_unit=income)
    send(
        case,
        actor=caseworker,
        kind=Handover.Kind.CONSULTATION,
        to_unit=org.units[Unit.Kind.HOUSING_TEAM],
    )
    assert _count(login(caseworker2), "/cases/handovers/") == inbox_few
    assert _count(login(caseworker), f"/cases/{case.pk}/") == page_few


def test_coordinator_may_hand_over_any_case_of_the_district(cases, login, coordinator):
    page = login(coordinator).get(f"/cases/{cases.b.pk}/").content.decode()
    assert f"/cases/handovers/new/{cases.b.pk}/" in page
