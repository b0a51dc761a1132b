"""Steering pages, exports and the stats API: who may, who may not, and what they show."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from steering.figures import all_figures
from steering.models import MonthlyReport
from tests.shared_data import SHARED, load_organisation, register_layer

pytestmark = pytest.mark.django_db

READERS = ["steering", "coordinator"]
NOT_READERS = ["guide", "caseworker", "caseworker2", "auditor", "admin"]
PAGES = [
    ("steering:dashboard", {}),
    ("steering:export_csv", {}),
    ("steering:export_xlsx", {}),
    ("steering:reports", {}),
]


def _as(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("role", READERS)
@pytest.mark.parametrize("name,params", PAGES)
def test_readers_open_the_pages(client, org, last_month_published, role, name, params):
    response = _as(client, org.users[role]).get(reverse(name), params)
    assert response.status_code == 200


@pytest.mark.parametrize("role", NOT_READERS)
@pytest.mark.parametrize("name,params", PAGES)
def test_others_get_403(client, org, role, name, params):
    assert _as(client, org.users[role]).get(reverse(name), params).status_code == 403


def test_outsider_and_anonymous(client, org, outsider):
    assert client.get(reverse("steering:dashboard"))["Location"].startswith(reverse("login"))
    assert _as(client, outsider).get(reverse("steering:dashboard")).status_code == 403
    assert _as(client, outsider).get("/api/v1/stats/").status_code == 403


@pytest.mark.parametrize("name", ["steering:dashboard", "steering:export_csv", "steering:reports"])
def test_wrong_method(client, steering, name):
    assert _as(client, steering).post(reverse(name)).status_code == 405


def test_dashboard_shows_charts_tables_and_comparisons(client, steering, stats_cases):
    body = _as(client, steering).get(reverse("steering:dashboard"), {"period": "2026-03"})
    html = body.content.decode()
    assert body.status_code == 200
    assert html.count('<svg class="chart" role="img"') == len(all_figures())
    assert '<title id="chart-0-t">Nya ärenden per slag</title>' in html
    assert "Samma period ett år tidigare" in html
    assert "2026-02" in html and "2025-03" in html  # previous and a year earlier named
    assert "&lt;5" in html
    assert "Målet är noll." in html


def test_dashboard_picker_year_and_part(client, steering, stats_cases):
    _as(client, steering)
    html = client.get(
        reverse("steering:dashboard"), {"year": "2026", "part": "Q1"}
    ).content.decode()
    assert "period 2026-Q1" in html
    assert '<option value="Q1" selected>' in html
    assert "export.csv?period=2026-Q1" in html  # exports follow the picked period
    whole = client.get(reverse("steering:dashboard"), {"year": "2025", "part": ""})
    assert "period 2025 (" in whole.content.decode()
    bad = client.get(reverse("steering:dashboard"), {"year": "1999", "part": "03"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.content.decode()


def test_dashboard_bad_period_names_the_parameter(client, steering, last_month_published):
    response = _as(client, steering).get(reverse("steering:dashboard"), {"period": "2026-13"})
    assert response.status_code == 400
    assert "period" in response.content.decode()
    # Ranges of months are not offered: a 400 naming the parameter.
    response = _as(client, steering).get(reverse("steering:dashboard"), {"from": "2026-01"})
    assert response.status_code == 400 and "from:" in response.content.decode()


def test_csv_export_has_the_same_suppressed_cells(client, org, steering, stats_cases):
    response = _as(client, steering).get(reverse("steering:export_csv"), {"period": "2026-03"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # the byte-order mark Swedish Excel needs
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    adult = org.units["adult"].name
    homeless = [
        r for r in rows if r[1] == adult and r[2] == "Hemlöshet" and r[0] == "Nya ärenden per slag"
    ]
    assert homeless == [["Nya ärenden per slag", adult, "Hemlöshet", "<5", "", "2026-03"]]
    assert not any(r[3] in {"1", "2", "3", "4"} for r in rows[1:])


def test_csv_export_bad_period(client, steering):
    response = _as(client, steering).get(reverse("steering:export_csv"), {"period": "x"})
    assert response.status_code == 400 and "period" in response.content.decode()


def test_xlsx_export(client, org, steering, stats_cases):
    response = _as(client, steering).get(reverse("steering:export_xlsx"), {"period": "2026-03"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[0] == "Om rapporten"
    # About, how the figures are protected, the key figures, then one sheet per figure.
    assert book.sheetnames[1] == "Så skyddas siffrorna"
    assert len(book.sheetnames) == 3 + len(all_figures())
    sheet = book.worksheets[3]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    adult_row = next(r for r in values if r[0] == org.units["adult"].name)
    assert adult_row[2] == "<5"


def test_api_returns_the_same_figures(client, org, steering, stats_cases):
    api = _as(client, steering).get("/api/v1/stats/", {"period": "2026-03"}).json()
    page = client.get(reverse("steering:export_csv"), {"period": "2026-03"})
    assert page.status_code == 200
    assert api["period"] == {
        "key": "2026-03",
        "kind": "month",
        "start": "2026-03-01",
        "end": "2026-03-31",
    }
    new = next(f for f in api["figures"] if f["key"] == "new_cases")
    # The only new cases are the adult unit's, so its 2 hidden ones hide the district too.
    assert [c["display"] for c in new["total"]["cells"]] == ["–", "<5", "8"]
    csv_rows = list(
        csv.reader(io.StringIO(page.content.decode("utf-8").removeprefix("\ufeff")), delimiter=";")
    )
    for cell, label in zip(
        new["total"]["cells"], ["Vräkningsförebyggande", "Hemlöshet"], strict=False
    ):
        match = [r for r in csv_rows if r[1] == "Hela stadsdelen" and r[2] == label]
        assert match[0][0] == "Nya ärenden per slag" and match[0][3] == cell["display"]
    adult = next(r for r in new["rows"] if r["label"] == org.units["adult"].name)
    assert adult["cells"][1] == {"value": None, "display": "<5", "hidden": "primary"}


def test_api_year_to_date_and_quarter(client, steering, stats_cases):
    _as(client, steering)
    to_date = client.get("/api/v1/stats/", {"period": "2026-YTD09"}).json()
    assert to_date["period"]["kind"] == "ytd"
    assert to_date["period"]["start"] == "2026-01-01" and to_date["period"]["end"] == "2026-09-30"
    assert client.get("/api/v1/stats/", {"period": "2026-Q1"}).json()["period"]["kind"] == "quarter"


@pytest.mark.parametrize(
    "params,param",
    [
        ({"period": "2026-13"}, "period"),
        ({"period": "october"}, "period"),
        ({"period": "2026-YTD13"}, "period"),
        # Ranges of months are no longer offered: a clear 400 naming the parameter.
        ({"from": "2026-01"}, "from"),
        ({"to": "2026-01"}, "to"),
        ({"from": "2026-01", "to": "2026-09"}, "from"),
        ({"period": "2026-01", "from": "2026-01", "to": "2026-02"}, "from"),
        # Only completed months are published.
        ({"period": "2099-01"}, "period"),
    ],
)
def test_api_bad_period_is_a_400_naming_the_parameter(client, steering, params, param):
    response = _as(client, steering).get("/api/v1/stats/", params)
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [param]
    assert body["detail"].startswith(param + ":")


@pytest.mark.parametrize("role", NOT_READERS)
def test_api_refuses_other_roles(client, org, role):
    assert _as(client, org.users[role]).get("/api/v1/stats/").status_code == 403


def test_api_wrong_method(client, steering):
    assert _as(client, steering).post("/api/v1/stats/").status_code == 405


def test_coordinator_reads_the_api(client, coordinator):
    assert _as(client, coordinator).get("/api/v1/stats/", {"period": "2025"}).status_code == 200


def test_navigation_shows_statistics_to_steering_only_among_staff(
    client, org, last_month_published
):
    assert "/steering/statistics/" in _as(client, org.users["steering"]).get("/").content.decode()
    assert (
        "/steering/statistics/"
        not in _as(client, org.users["caseworker"]).get("/").content.decode()
    )


def test_no_report_of_another_district_is_reachable(client, org, steering):
    from steering.periods import parse_period
    from steering.services import freeze_month
    from tests.factories import DistrictFactory

    other = DistrictFactory()
    report = freeze_month(district=other, period=parse_period("2026-03"), actor=org.users["admin"])
    assert MonthlyReport.objects.count() == 1
    _as(client, steering)
    assert client.get(reverse("steering:report", args=[report.pk])).status_code == 404
    assert client.get(reverse("steering:report_csv", args=[report.pk])).status_code == 404


REPORT_PAGES = ["steering:report", "steering:report_csv", "steering:report_xlsx"]


def _freeze_march(district, actor) -> MonthlyReport:
    from steering.periods import parse_period
    from steering.services import freeze_month

    report = freeze_month(district=district, period=parse_period("2026-03"), actor=actor)
    assert report is not None  # None only when the month was frozen before
    return report


# The 18 tests of a stored report's pages only read it: frozen once for consecutive tests
# (tests/shared_data.py) instead of once per test, each test's own writes (the access
# log) still rolled back.
@register_layer("steering_views_frozen")
def _build_frozen_layer() -> int:
    district, _units, users = load_organisation()
    return _freeze_march(district, users["coordinator"]).pk


@pytest.fixture
def frozen(org):
    pk = SHARED.layer_data("steering_views_frozen")
    if pk is None:
        return _freeze_march(org.district, org.users["coordinator"])
    return MonthlyReport.objects.get(pk=pk)


@pytest.mark.parametrize("role", ["caseworker", "guide", "auditor", "outsider"])
@pytest.mark.parametrize("name", REPORT_PAGES)
def test_a_stored_report_and_its_exports_refuse_non_readers(
    request, client, org, frozen, role, name
):
    user = request.getfixturevalue("outsider") if role == "outsider" else org.users[role]
    response = _as(client, user).get(reverse(name, args=[frozen.pk]))
    assert response.status_code == 403
    assert "2026-03" not in response.content.decode()


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_a_stored_report_and_its_exports_send_the_anonymous_to_sign_in(client, frozen, name):
    response = client.get(reverse(name, args=[frozen.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", REPORT_PAGES)
def test_readers_open_a_stored_report_and_its_exports(client, org, frozen, name):
    for role in READERS:
        assert _as(client, org.users[role]).get(reverse(name, args=[frozen.pk])).status_code == 200
