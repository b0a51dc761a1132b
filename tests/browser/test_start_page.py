"""The start page of every role (issue 19, point 2) passes axe-core and reflows at 320
px without scrolling sideways, with items in every panel."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bokvar.models import Unit
from cases.handovers.services import sending
from cases.models import Deadline, Handover
from tests.browser.conftest import assert_accessible
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["coordinator", "guide", "caseworker", "caseworker2", "steering", "auditor", "skotare"]


@pytest.fixture
def busy_day(org, make_case):
    case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"], children=[2016])
    Deadline.objects.create(
        case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=timezone.localdate() - timedelta(days=3)
    )
    handover, _ = sending.send_handover(
        actor=org.users["caseworker"],
        case_id=case.pk,
        kind=Handover.Kind.TRANSFER,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        reason="Behöver försörjningsstöd " + "mycket långt ord" * 20,
    )
    Handover.objects.filter(pk=handover.pk).update(sent_at=timezone.now() - timedelta(days=9))
    return case


@pytest.mark.parametrize("username", ROLES)
def test_start_page_is_accessible_and_fits_a_phone(page, busy_day, signed_in, username):
    page.set_viewport_size({"width": 320, "height": 640})
    signed_in(username, DEMO_PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == "Det här väntar på dig i dag"
    assert_accessible(page)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, (username, overflow)
