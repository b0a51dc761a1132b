"""Browser tests: Playwright drives the system Chromium against a live server,
and axe-core checks every page it looks at."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.services import unavailable

# Debian's headless shell of Chromium (package chromium-headless-shell: the same Blink and
# V8 as the `chromium` package, without the full browser's windowing layers), as
# Playwright itself uses for headless runs; else the full browser in its headless mode.
# Measured on tests/browser (43 tests, -n 2, this machine): Chromium's CPU 182 s with the
# full browser, 108 s with the shell; every test passed with both.
HEADLESS_SHELL = "/usr/lib/chromium/chromium-headless-shell"
CHROMIUM = os.environ.get("BOKVAR_CHROMIUM") or (
    HEADLESS_SHELL if os.path.exists(HEADLESS_SHELL) else "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses
    # that unless told it is safe, which it is here: one thread, one test at a time.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        unavailable(f"Chromium not found at {CHROMIUM}", flag="BOKVAR_REQUIRE_BROWSER")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(locale="sv-SE", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # The Content-Security-Policy (issue 21) must not break a page: Chromium reports
    # every blocked script, style or image on the console.
    violations: list[str] = []
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()
    assert not violations, violations


@pytest.fixture
def sign_in(page):
    """Sign in as a person does: the password, then the current code of the demo user's
    authenticator (its known key, as `manage.py demo_code` prints it)."""

    def _sign_in(username: str, password: str):
        page.goto("/login/")
        page.get_by_label("Användarnamn").fill(username)
        page.get_by_label("Lösenord").fill(password)
        # Wait for the page the form posts to (the code step, or the login page with its
        # error), not for half a second of network silence as "networkidle" would.
        with page.expect_navigation():
            page.get_by_role("button", name="Logga in").click()
        if "/login/code/" in page.url:
            page.get_by_label("Kod", exact=True).fill(_demo_code(username))
            with page.expect_navigation():
                page.get_by_role("button", name="Verifiera").click()
        return page

    return _sign_in


@pytest.fixture
def signed_in(page, live_server):
    """Sign in for a test that needs a signed-in page, not the sign-in itself: the same
    two steps as `sign_in` (the password, then the demo authenticator's current code),
    posted to the same views by Django's test client, whose session cookie the page's
    context then carries; then open `start` (the start page, as after the code step).
    The browser's three page loads of the form and its redirects are about a second of
    Chromium's CPU a test that no assertion looks at. The sign-in itself is tested
    through the form (`sign_in`, tests/browser/test_shell.py)."""
    from django.test import Client

    def _signed_in(username: str, password: str, start: str | None = "/"):
        client = Client()
        response = client.post("/login/", {"username": username, "password": password})
        assert response.status_code == 302, (username, response.status_code)
        assert "/login/code/" in response["Location"], (username, response["Location"])
        response = client.post(response["Location"], {"code": _demo_code(username)})
        assert response.status_code == 302, (username, response.status_code)
        assert "/login/" not in response["Location"], (username, response["Location"])
        page.context.add_cookies(
            [
                {
                    "name": name,
                    "value": morsel.value,
                    "url": live_server.url,
                    "httpOnly": bool(morsel["httponly"]),
                    "secure": bool(morsel["secure"]),
                    "sameSite": (morsel["samesite"] or "Lax").capitalize(),
                }
                for name, morsel in client.cookies.items()
                if morsel.value
            ]
        )
        if start is not None:
            page.goto(start)
        return page

    return _signed_in


def _demo_code(username: str) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bokvar import second_factor

    device = TOTPDevice.objects.get(user__username=username, name="demo")
    # A code is accepted once: a second sign-in of the same user within the same 30
    # seconds would otherwise be refused as a replay.
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return second_factor.current_code(device)


# axe-core's rules as axe_playwright_python runs them (`Axe().run(page)`: every rule,
# violations only), without its two costs that are not the check: the 570-kB source
# sent again into a document that already has it, and every passed, incomplete and
# inapplicable rule sent back over Playwright's pipe and parsed in the test's process,
# though only the violations are read.
AXE_RUN = """async () => {
  const results = await axe.run({"resultTypes": ["violations"]});
  return {violations: results.violations};
}"""


def assert_accessible(page) -> None:
    """Fail on any axe-core violation, listing each with its nodes."""
    from axe_playwright_python.base import AXE_SCRIPT, AxeResults

    # A click on a link returns before the next page has loaded; axe run on a
    # document still being replaced fails with "reading 'documentElement'".
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT)
    results = AxeResults(page.evaluate(AXE_RUN))
    if results.violations_count:
        pytest.fail(f"Accessibility violations on {page.url}:\n{results.generate_report()}")


def follow(page, locator) -> None:
    """Click a link or submit button and wait for the page it leads to."""
    with page.expect_navigation():
        locator.click()
