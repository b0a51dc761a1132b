"""Issue 7 through Chromium: a caseworker reads a case and its full change history; an
auditor finds the person by identity number, sees who looked, produces the extract and
places a legal hold. Every page passes axe-core."""

import pytest

from tests.browser.conftest import assert_accessible
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_history_and_auditor_pages(page, org, cases, signed_in):
    signed_in("caseworker", DEMO_PASSWORD, start=f"/cases/{cases.a.pk}/")
    page.get_by_role(
        "link", name="Varje ändring av ärendets alla uppgifter, gamla och nya värden"
    ).click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Ändringshistorik")
    assert "Adultsson" in page.locator("main").inner_text()
    assert_accessible(page)

    page.context.clear_cookies()
    signed_in("auditor", DEMO_PASSWORD)
    page.get_by_role("link", name="Granskning").first.click()
    assert_accessible(page)
    page.get_by_label("Personnummer").fill("198001012387")
    page.get_by_role("button", name="Sök").click()
    assert_accessible(page)
    page.get_by_role("link", name="Vem har tittat på personen").click()
    # The reader by name, the case by number (issue 19, point 6).
    table = page.locator("table").inner_text()
    assert org.users["caseworker"].get_full_name() in table and "BK-" in table
    assert_accessible(page)
    page.go_back()
    page.get_by_label("Skäl för bevarandebeslutet").fill("Pågående tvist")
    page.get_by_role("button", name="Besluta om bevarande").click()
    assert "Pågående tvist" in page.locator("main").inner_text()
    page.get_by_role("link", name="Registerutdrag (utskrivbart)").click()
    assert "Skuld hos Kronofogden" in page.locator("main").inner_text()
    assert_accessible(page)
