from urllib.parse import urlparse

import pytest

from bokvar.models import Role
from tests.browser.conftest import assert_accessible
from tests.conftest import DEMO_PASSWORD, ROLE_USERNAMES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_page_is_swedish_and_accessible(page, org):
    page.goto("/login/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_role("heading", name="Logga in i Bo Kvar").is_visible()
    assert_accessible(page)


def test_wrong_password_is_reported_in_swedish(page, org, sign_in):
    sign_in("coordinator", "wrong-password")
    assert "/login/" in page.url
    assert page.get_by_role("alert").is_visible()
    assert_accessible(page)


@pytest.mark.parametrize("username", ROLE_USERNAMES)
def test_each_role_home_page_after_sign_in(page, org, sign_in, username):
    sign_in(username, DEMO_PASSWORD)
    assert urlparse(page.url).path == "/"
    # The start page says what needs the user today (issue 19), then greets them.
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Det här väntar på dig i dag"
    assert page.locator("main .lead").inner_text().startswith("Välkommen")
    memberships = org.users[username].memberships.all()
    assert memberships, "every demo user holds a role"
    role_label = {
        Role.COORDINATOR: "Bosamordnare",
        Role.GUIDE: "Boendelots",
        Role.CASEWORKER: "Handläggare",
        Role.STEERING: "Styrgrupp",
        Role.AUDITOR: "Granskare",
        Role.ADMINISTRATOR: "Administratör",
    }
    assert role_label[memberships[0].role] in page.locator("main").inner_text()
    assert_accessible(page)


def test_skip_link_moves_focus_to_main(page, org, sign_in):
    sign_in("coordinator", DEMO_PASSWORD)
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Hoppa till huvudinnehållet" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_language_switch_remembers_english(page, org, sign_in):
    sign_in("coordinator", DEMO_PASSWORD)
    page.select_option("#language-select", "en")
    page.get_by_role("button", name="Byt").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/")
    assert page.get_by_role("heading", level=1).inner_text() == "What needs you today"
    assert page.locator("main .lead").inner_text().startswith("Welcome")
    assert_accessible(page)


def test_enrolment_page_and_api_docs_work_under_the_csp(page, org, sign_in):
    """The pages with the most outside parts (the QR code, Swagger UI) load without a
    Content-Security-Policy violation (the `page` fixture fails on any)."""
    from tests.factories import UserFactory

    UserFactory(username="newcomer", password="a-new-Password-7")
    sign_in("newcomer", "a-new-Password-7")
    assert "/login/enrol/" in page.url
    assert page.locator("svg.segno").is_visible()
    assert_accessible(page)
    sign_in("coordinator", DEMO_PASSWORD)
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info").wait_for()
