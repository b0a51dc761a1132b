"""A unit's handover inbox and a pending handover's decision page, checked by axe."""

import pytest

from bokvar.models import Unit
from cases.handovers.services import sending as services
from cases.models import Handover
from tests.browser.conftest import assert_accessible
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_receiving_unit_decides_from_its_inbox(page, org, make_case, signed_in):
    case = make_case(unit_kind=Unit.Kind.ADULT, children=[2016])
    handover, _ = services.send_handover(
        actor=org.users["caseworker"],
        case_id=case.pk,
        kind=Handover.Kind.TRANSFER,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        reason="Behöver försörjningsstöd",
    )
    signed_in("caseworker2", DEMO_PASSWORD, start="/cases/handovers/")
    assert case.number in page.locator("main").inner_text()
    assert page.locator("nav .badge").first.inner_text() == "1"
    assert_accessible(page)

    page.locator("main table a").first.click()
    page.wait_for_load_state("networkidle")
    assert "Behöver försörjningsstöd" in page.locator("main").inner_text()
    assert "Testsson" not in page.locator("main").inner_text()
    assert_accessible(page)

    # Accepting asks who in the unit takes the case.
    page.get_by_label("Vem i enheten tar ärendet").select_option(label="Omar Haddad")
    page.get_by_role("button", name="Acceptera").click()
    page.wait_for_load_state("networkidle")
    handover.refresh_from_db()
    assert handover.status == Handover.Status.ACCEPTED
