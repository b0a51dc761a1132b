"""The annual report gives back the source documents' figures when the tallies hold them:
Balder 2018 (000_*: 3,471 visits, about 100 unique visitors, about a third women, about
70 % from other districts) and the six senior meeting points of Norrtälje 2023 (001_*:
10,362 visits, about 20 activities a week, about 40 weeks, 2,777 meals) — in the page,
the CSV, the Excel workbook and the API."""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from partners import services
from partners.demo import BALDER_2018, YearShape, open_days, year_of_tallies
from partners.reports import annual_report

from .conftest import make_place

pytestmark = pytest.mark.django_db


def enter_year(actor, place, days, shape, seed=1):
    """Staff enter every open day through the service, as the phone form does."""
    tallies = year_of_tallies(days, shape, random.Random(seed))
    # The generated input itself holds the seed's totals (so the test is about the report).
    assert sum(t.visits for t in tallies) == shape.visits
    assert sum(t.new_visitors for t in tallies) == shape.unique
    for t in tallies:
        services.record_tally(actor=actor, place=place, data=t)
    return tallies


@pytest.fixture
def balder_2018(org, balder, skotare):
    enter_year(skotare, balder, open_days(2018, "12345"), BALDER_2018)
    # The year before, for the comparison.
    enter_year(skotare, balder, open_days(2017, "3"), YearShape(3200, 95, 1000, 1000, 2200))
    for kind, amount in (("staff", 1314000), ("rent", 390000), ("other", 176000)):
        services.set_cost(
            actor=org.users["coordinator"],
            place_id=balder.pk,
            year=2018,
            kind=kind,
            amount=Decimal(amount),
        )
    return balder


def _query(place, year=2018):
    return f"?year={year}&place={place.pk}"


def test_balder_2018_in_the_figures_the_page_the_exports_and_the_api(login, skotare, balder_2018):
    # One test, because entering a year through the service is the expensive part.
    check_figures(balder_2018)
    client = login(skotare)
    check_page(client, balder_2018)
    check_exports(client, balder_2018)
    check_api(client, balder_2018)


def check_figures(balder):
    current, previous = annual_report([balder], 2018).by_place[balder.pk]
    assert current.visits == 3471
    assert 100 <= current.unique_visitors <= 110  # "drygt 100 unika individer"
    assert abs(current.share_women - Decimal(1) / 3) < Decimal("0.01")
    assert abs(current.share_from_elsewhere - Decimal("0.70")) < Decimal("0.01")
    assert current.cost == Decimal(1880000)
    assert current.cost_per_visit == Decimal(542)  # 1,880,000 / 3,471
    assert current.cost_per_visitor == Decimal(18431)  # 1,880,000 / 102
    assert current.weeks_open == 44 and current.openings == 220
    assert previous.visits == 3200 and previous.year == 2017


def check_page(client, balder):
    response = client.get(reverse("partners:report") + _query(balder))
    assert response.status_code == 200
    ((name, rows),) = [(t["name"], t["rows"]) for t in response.context["tables"]]
    figures = {label: (current, previous) for label, current, previous in rows}
    assert name == "Träfflokalen Balder"
    assert figures["Besök"] == (3471, 3200)
    body = response.content.decode()
    assert "3471" in body and "Träfflokalen Balder" in body
    assert "0,333" in body  # share of women, Swedish decimal comma


def check_exports(client, balder):
    raw = client.get(reverse("partners:report_csv") + _query(balder))
    assert raw.status_code == 200 and raw.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.content.decode("utf-8-sig")), delimiter=";"))
    by_figure = {row[1]: row[2:] for row in rows[1:]}
    assert rows[0] == ["Mötesplats", "Mått", "2018", "2017"]
    assert by_figure["Besök"] == ["3471", "3200"]
    assert by_figure["Unika besökare"][0] == "102"
    assert by_figure["Andel kvinnor (av besöken)"][0] == "0,333"
    assert by_figure["Andel från andra stadsdelar eller kommuner"][0] == "0,700"

    book = load_workbook(
        io.BytesIO(client.get(reverse("partners:report_xlsx") + _query(balder)).content)
    )
    cells = {row[1]: row[2:] for row in book.active.iter_rows(min_row=2, values_only=True)}
    assert cells["Besök"] == (3471, 3200)
    assert cells["Unika besökare"][0] == 102
    assert cells["Andel kvinnor (av besöken)"][0] == pytest.approx(0.333)


def check_api(client, balder):
    url = reverse("api-meeting-place-report", args=[balder.pk])
    body = client.get(url, {"year": 2018}).json()
    assert body["figures"]["visits"] == 3471
    assert body["figures"]["unique_visitors"] == 102
    assert body["figures"]["share_women"] == pytest.approx(1 / 3, abs=0.01)
    assert body["figures"]["share_from_elsewhere"] == pytest.approx(0.70, abs=0.01)
    assert body["previous_year"]["visits"] == 3200
    assert sum(body["figures"]["visits_by_month"]) == 3471


def test_api_report_refuses_bad_years_naming_the_field(login, skotare, balder):
    url = reverse("api-meeting-place-report", args=[balder.pk])
    client = login(skotare)
    for bad in ({}, {"year": "x"}, {"year": 1200}):
        response = client.get(url, bad)
        assert response.status_code == 400
        assert "year" in response.json()["errors"]


def test_page_and_exports_refuse_a_bad_year_with_400(login, skotare, balder):
    client = login(skotare)
    for name in ("partners:report", "partners:report_csv", "partners:report_xlsx"):
        response = client.get(reverse(name), {"year": "nineteen", "place": balder.pk})
        assert response.status_code == 400, name


# Norrtälje 2023 (001_*): six meeting points. Five are open two days a week for 40 weeks
# with two activities a day; Bergshamra opened in the autumn and met four times.
NORRTALJE = [
    ("Träffpunkt Norrtälje", 3100, 800),
    ("Träffpunkt Rimbo", 2400, 700),
    ("Träffpunkt Hallstavik", 1800, 500),
    ("Träffpunkt Älmsta", 1500, 400),
    ("Träffpunkt Häverödal", 1500, 377),
]
SEASON = set(range(3, 25)) | set(range(34, 52))  # 40 weeks


def test_norrtalje_2023_six_places_together(org):
    coordinator = org.users["coordinator"]
    places = []
    for i, (name, visits, meals) in enumerate(NORRTALJE):
        place = make_place(org, name)
        shape = YearShape(
            visits, visits // 10, visits * 2 // 3, visits * 4 // 5, visits // 10, 0, 2, meals
        )
        enter_year(coordinator, place, open_days(2023, "24", SEASON), shape, seed=i)
        services.set_cost(
            actor=coordinator, place_id=place.pk, year=2023, kind="rent", amount=Decimal(120000)
        )
        places.append(place)
    bergshamra = make_place(org, "Träffpunkt Bergshamra")
    autumn = [date(2023, 10, 4), date(2023, 10, 18), date(2023, 11, 8), date(2023, 11, 22)]
    enter_year(coordinator, bergshamra, autumn, YearShape(62, 20, 40, 50, 12, 0, 1, 0))
    services.set_cost(
        actor=coordinator,
        place_id=bergshamra.pk,
        year=2023,
        kind="rent_per_occasion",
        amount=Decimal(200),
    )
    places.append(bergshamra)

    report = annual_report(places, 2023)
    together, _ = report.total
    assert together.visits == 10362
    assert together.meals == 2777
    assert together.weeks_open == 40
    assert abs(together.activities_per_week - 20) <= 1  # "cirka 20 olika aktiviteter i veckan"
    # Rent: five places about 600 tkr together, Bergshamra 200 kr for each of its 4 times.
    assert together.cost == Decimal(600000 + 800)
    assert report.by_place[bergshamra.pk][0].cost == Decimal(800)


def test_the_report_takes_the_same_queries_for_one_place_or_many(org, skotare):
    def measure(count):
        places = [make_place(org, f"Plats {count}-{i}") for i in range(count)]
        for place in places:
            enter_year(
                org.users["coordinator"],
                place,
                open_days(2022, "3", set(range(10, 14))),
                YearShape(40, 10, 20, 20, 20),
            )
        with CaptureQueriesContext(connection) as ctx:
            report = annual_report(places, 2022)
        assert report.total[0].visits == 40 * count
        return len(ctx.captured_queries)

    assert measure(1) == measure(4)


def test_a_place_name_never_runs_as_a_formula(login, org):
    place = make_place(org, '=HYPERLINK("http://evil.example","x")')
    client = login(org.users["coordinator"])
    query = {"year": 2026, "place": place.pk}
    text = client.get(reverse("partners:report_csv"), query).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ";=HYPERLINK" not in text and "\n=HYPERLINK" not in text
    book = load_workbook(io.BytesIO(client.get(reverse("partners:report_xlsx"), query).content))
    cell = book.active["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK") and cell.quotePrefix
