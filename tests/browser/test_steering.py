"""The statistics pages in a real browser: charts with text alternatives, the period
picker without JavaScript, and no accessibility violation (axe-core)."""

import pytest

from steering.periods import parse_period
from steering.services import freeze_month
from tests.browser.conftest import assert_accessible
from tests.conftest import DEMO_PASSWORD
from tests.steering.conftest import stats_cases  # noqa: F401 - the shared fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("stats_cases")
def test_dashboard_period_picker_and_charts(page, org, signed_in):
    signed_in("steering", DEMO_PASSWORD)
    page.get_by_role("link", name="Statistik").first.click()
    page.get_by_label("År", exact=True).select_option("2026")
    page.get_by_label("Månad eller kvartal").select_option("03")
    page.get_by_role("button", name="Visa", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "year=2026&part=03" in page.url
    assert "period 2026-03" in page.locator("main").inner_text()
    charts = page.get_by_role("img")
    assert charts.count() >= 5
    # The detailed tables wait behind a disclosure until asked for.
    heading = page.get_by_role("heading", name="Barn i hushåll som vräktes efter vräkningshot")
    assert not heading.is_visible()
    page.get_by_text("Detaljerade tabeller för varje mått").click()
    assert heading.is_visible()
    assert page.get_by_role("table", name="Nya ärenden per slag per enhet").is_visible()
    assert_accessible(page)


@pytest.mark.usefixtures("stats_cases")
def test_key_figures_and_trends_fit_the_first_screen(page, org, signed_in):
    """Read in a minute: at 1280×800 every key figure and its trend line is on the first
    screen, without scrolling."""
    page.set_viewport_size({"width": 1280, "height": 800})
    signed_in("steering", DEMO_PASSWORD, start="/steering/statistics/?period=2026-03")
    cards = page.locator(".key-figure")
    assert cards.count() == 8
    for k in range(cards.count()):
        card = cards.nth(k)
        trend = card.locator("svg.trend")
        assert card.is_visible() and trend.is_visible()
        box = trend.bounding_box()
        assert box["y"] + box["height"] <= 800, (k, box)
        label = card.locator(".key-value").bounding_box()
        assert label["y"] + label["height"] <= 800
    assert page.evaluate("window.scrollY") == 0
    assert_accessible(page)


@pytest.mark.usefixtures("stats_cases")
def test_no_horizontal_scrolling_on_a_narrow_screen(page, org, signed_in):
    page.set_viewport_size({"width": 320, "height": 640})
    signed_in("steering", DEMO_PASSWORD, start=None)
    for url in ("/steering/statistics/?period=2026-03", "/steering/statistics/?period=2026-YTD09"):
        page.goto(url)
        page.get_by_text("Detaljerade tabeller för varje mått").click()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, (url, width)
        assert_accessible(page)


def test_bad_period_is_announced(page, org, signed_in):
    signed_in("steering", DEMO_PASSWORD, start="/steering/statistics/?period=2026-13")
    assert "period" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


@pytest.mark.usefixtures("stats_cases")
def test_report_pages_are_accessible(page, org, signed_in):
    report = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    signed_in("coordinator", DEMO_PASSWORD, start="/steering/reports/")
    assert_accessible(page)
    page.get_by_role("link", name="2026-03").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    page.get_by_role("button", name="Skapa en ny version från dagens uppgifter").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text().endswith("version 2")
    assert_accessible(page)
    assert report.pk != int(page.url.rstrip("/").split("/")[-1])
