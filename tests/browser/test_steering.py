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
def test_dashboard_period_picker_and_charts(page, org, sign_in):
    sign_in("steering", DEMO_PASSWORD)
    page.get_by_role("link", name="Statistik").first.click()
    page.get_by_label("År", exact=True).select_option("2026")
    page.get_by_label("Månad eller kvartal").select_option("03")
    page.get_by_role("button", name="Visa", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert "year=2026&part=03" in page.url
    assert "period 2026-03" in page.locator("main").inner_text()
    charts = page.get_by_role("img")
    assert charts.count() >= 5
    assert page.get_by_role(
        "heading", name="Barn i hushåll som vräktes efter vräkningshot"
    ).is_visible()
    assert page.get_by_role("table", name="Nya ärenden per slag per enhet").is_visible()
    assert_accessible(page)


def test_bad_period_is_announced(page, org, sign_in):
    sign_in("steering", DEMO_PASSWORD)
    page.goto("/steering/statistics/?period=2026-13")
    assert "period" in page.get_by_role("alert").inner_text()
    assert_accessible(page)


@pytest.mark.usefixtures("stats_cases")
def test_report_pages_are_accessible(page, org, sign_in):
    report = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    sign_in("coordinator", DEMO_PASSWORD)
    page.goto("/steering/reports/")
    assert_accessible(page)
    page.get_by_role("link", name="2026-03").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page)
    page.get_by_role("button", name="Skapa en ny version från dagens uppgifter").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text().endswith("version 2")
    assert_accessible(page)
    assert report.pk != int(page.url.rstrip("/").split("/")[-1])
