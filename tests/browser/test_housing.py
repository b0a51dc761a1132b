from datetime import date
from decimal import Decimal

import pytest

from housing import services
from housing.models import Apartment
from tests.browser.conftest import assert_accessible
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_vacancy_view_and_placement_page(page, org, cases, signed_in):
    coordinator = org.users["coordinator"]
    services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRIAL,
        reference="LGH-2001",
        address="Tulegatan 1",
        rent=Decimal("6100"),
        status_since=date(2026, 1, 5),
    )
    signed_in("coordinator", DEMO_PASSWORD)
    page.get_by_role("link", name="Lägenheter").first.click()
    assert "LGH-2001" in page.locator("table").first.inner_text()
    assert_accessible(page)
    page.goto(f"/housing/cases/{cases.a.pk}/placements/new/")
    page.get_by_label("Lägenhet").select_option(label="LGH-2001")
    page.get_by_role("button", name="Spara").click()
    assert "Placering i LGH-2001" in page.get_by_role("heading", level=1).inner_text()
    assert_accessible(page)
    # From the case page to the person's page with the housing chain.
    page.goto(f"/cases/{cases.a.pk}/")
    page.get_by_role("link", name="Astrid Adultsson", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Astrid Adultsson"
    chain = page.get_by_role("region", name="Boendekedja").inner_text()
    assert "Nu: Försökslägenhet" in chain
    assert_accessible(page)
