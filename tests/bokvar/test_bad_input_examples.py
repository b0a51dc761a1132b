"""Issue 21, point 9: each bad input the security probe named answers 400 with a message
that names the field, never a 500, and nothing is half-saved."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from housing.models import ShelterNight
from tests.housing.conftest import csv_bytes, shelter  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

A = "19800101-2387"  # case A's main tenant (tests/case_fixtures.py)


@pytest.fixture
def signed_in(client):
    def _as(user):
        client.raise_request_exception = False
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _as


def test_impossible_night_in_an_invoice_file(signed_in, org, cases, shelter):  # noqa: F811
    client = signed_in(org.users["coordinator"])
    upload = SimpleUploadedFile(
        "invoice.csv", csv_bytes(f"{A},Härbärget Navet,2026-02-30,Vuxenenheten")
    )
    response = client.post(reverse("housing:nights_import"), {"file": upload})
    assert response.status_code == 400
    assert "night" in response.content.decode()
    assert ShelterNight.objects.count() == 0


def test_impossible_night_in_the_api(signed_in, org, cases, shelter):  # noqa: F811
    client = signed_in(org.users["coordinator"])
    night = {
        "personal_number": A,
        "shelter": "Härbärget Navet",
        "night": "2026-02-30",
        "paying_unit": "Vuxenenheten",
    }
    response = client.post(
        "/api/v1/shelter-nights/", {"nights": [night]}, content_type="application/json"
    )
    assert response.status_code == 400
    # The row's reason names the field ("datum:" in Swedish, the default).
    assert response.json()["errors"][0]["reason"].startswith("datum:")
    assert ShelterNight.objects.count() == 0


def test_csv_cell_over_128_kib(signed_in, org, cases, shelter):  # noqa: F811
    client = signed_in(org.users["coordinator"])
    big = "x" * (129 * 1024)
    upload = SimpleUploadedFile("invoice.csv", csv_bytes(f"{A},{big},2026-03-01,Vuxenenheten"))
    response = client.post(reverse("housing:nights_import"), {"file": upload})
    assert response.status_code == 400
    assert "file" in response.content.decode() or "fil" in response.content.decode()
    assert ShelterNight.objects.count() == 0


@pytest.mark.parametrize("year", ["0", "-1", "10000", "99999999999999999999"])
def test_forecast_year_out_of_range(signed_in, org, year):
    response = signed_in(org.users["coordinator"]).get(f"/housing/forecast/?year={year}")
    assert response.status_code == 400
    assert "year" in response.content.decode() or "år" in response.content.decode()


@pytest.mark.parametrize(
    "start,end",
    [("0001-01-01", "0001-12-31"), ("0001-01-01", "2026-01-01"), ("9999-12-31", "9999-12-31")],
)
def test_comparison_range_at_the_calendars_edge(signed_in, org, start, end):
    client = signed_in(org.users["coordinator"])
    response = client.get("/housing/comparison/", {"start": start, "end": end})
    assert response.status_code == 400
    assert 'name="start"' in response.content.decode()


@pytest.mark.parametrize("url", ["/audit/log/", "/audit/log.csv"])
@pytest.mark.parametrize("start,end", [("0001-01-01", "9999-12-31"), ("9999-12-31", "9999-12-31")])
def test_audit_log_extreme_range(signed_in, org, url, start, end):
    response = signed_in(org.users["auditor"]).get(url, {"start": start, "end": end})
    assert response.status_code == 400
    body = response.content.decode()
    assert "end" in body or "start" in body or "slut" in body.lower()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/bokvar/unit/abc/history/",
        "/admin/bokvar/unit/abc/change/",
        "/admin/housing/shelter/1e9/history/",
    ],
)
def test_admin_pages_with_a_non_numeric_id(signed_in, org, url):
    response = signed_in(org.users["admin"]).get(url)
    assert response.status_code in (302, 400, 404)
