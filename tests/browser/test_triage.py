"""The coordinator's triage queue and a signal's page in a real browser, checked by axe."""

import pytest
from django.utils import timezone

from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData
from cases.models import LandlordSignal
from tests.browser.conftest import assert_accessible
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_triages_a_signal_into_a_new_case(page, org, signed_in):
    from cases.evictions.services.landlord_signals import SignalInput, receive_signal
    from cases.evictions.services.landlords import register_landlord
    from cases.models import Landlord

    landlord = register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Svenska Bostäder"
    )
    signal = receive_signal(
        landlord=landlord,
        data=SignalInput(
            kind="rent_arrears",
            received_on=timezone.localdate(),
            channel="api",
            name="Tove Hyresgästsson",
            description="Två månaders hyra obetald",
        ),
    )
    signed_in("coordinator", DEMO_PASSWORD, start="/cases/signals/")
    assert page.get_by_role("heading", level=1).inner_text() == "Signaler som väntar på bedömning"
    assert "Svenska Bostäder" in page.locator("main").inner_text()
    assert_accessible(page)

    page.locator("main table a").first.click()
    page.wait_for_load_state("networkidle")
    assert "Två månaders hyra obetald" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_label("Förnamn").fill("Tove")
    page.get_by_label("Efternamn").fill("Hyresgästsson")
    page.get_by_role("button", name="Öppna ärende").click()
    page.wait_for_load_state("networkidle")
    signal.refresh_from_db()
    assert signal.status == LandlordSignal.Status.OPENED
    assert signal.case.number in page.get_by_role("heading", level=1).inner_text()

    threats.create_threat(
        actor=org.users["coordinator"],
        case_id=signal.case.pk,
        data=ThreatData(
            termination_served_on=timezone.localdate(), board_notified_on=timezone.localdate()
        ),
    )
    page.reload()
    assert "Tidsfrist för återvinning" in page.locator("main").inner_text()
    assert_accessible(page)

    # The household's children: added on the case, by birth year only.
    page.get_by_role("link", name="Lägg till eller ta bort barn").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    page.get_by_label("Barnets födelseår").fill("2016")
    page.get_by_role("button", name="Lägg till barn").click()
    page.wait_for_load_state("networkidle")
    assert "Barn fött 2016" in page.locator("main").inner_text()
    assert list(signal.case.household.children.values_list("birth_year", flat=True)) == [2016]
    assert_accessible(page)
