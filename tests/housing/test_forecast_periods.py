"""The forecast counts each cost once, in the case it belongs to, and projects only what
accrues at a rate inside the case's own period (figures worked out by hand)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from housing import nights, selectors, services
from housing.models import Apartment, CostCategory

pytestmark = pytest.mark.django_db


def _nights(case, shelter, unit, first: date, count: int, actor):
    nights.register_range(
        actor=actor,
        person=case.household.head,
        shelter=shelter,
        first=first,
        last=first + timedelta(days=count - 1),
        paying_unit=unit,
    )


def _close(case, on: date) -> None:
    Case.objects.filter(pk=case.pk).update(
        status=Case.Status.CLOSED, outcome=Case.Outcome.OTHER, closed_on=on
    )


def test_costs_from_before_the_case_opened_are_not_projected(org, cases, shelter, coordinator):
    case = cases.a
    Case.objects.filter(pk=case.pk).update(opened_on=date(2025, 9, 1))
    adult = org.units["adult"]
    # 1 Jan–19 Feb 2025 is 31 + 19 = 50 nights at 400 SEK: 20,000, before the case opened.
    _nights(case, shelter, adult, date(2025, 1, 1), 50, coordinator)
    # A cost of 500 on 15 August, also before the case opened.
    services.add_cost_item(
        actor=coordinator,
        case_id=case.pk,
        category=CostCategory.objects.create(name="Flytt"),
        on=date(2025, 8, 15),
        amount=Decimal("500"),
    )
    [row] = selectors.forecasts(coordinator, year=2025, as_of=date(2025, 9, 30), case_ids=[case.pk])
    # Nothing inside the case's period yet: the year is what was spent, not
    # 20,500 × 122 / 30 = 83,383.33 as if it had been spent since 1 September.
    assert row.so_far == Decimal("20500")
    assert row.forecast == Decimal("20500")
    # Ten nights 10–19 September (4,000) are inside the period: 1–30 September is 30
    # days, 1 October–31 December 92, so 4,000 × 92 / 30 = 12,266.666… → 12,266.67 more.
    _nights(case, shelter, adult, date(2025, 9, 10), 10, coordinator)
    [row] = selectors.forecasts(coordinator, year=2025, as_of=date(2025, 9, 30), case_ids=[case.pk])
    assert row.so_far == Decimal("24500")
    # 20,500 fixed + 4,000 + 12,266.67 = 36,766.67.
    assert row.forecast == Decimal("36766.67")


def test_a_household_with_two_cases_has_each_night_counted_once(
    org, cases, shelter, coordinator, make_case
):
    first = cases.a
    Case.objects.filter(pk=first.pk).update(opened_on=date(2025, 1, 1))
    _close(first, date(2025, 3, 31))
    second = make_case(opened_on=date(2025, 6, 1))
    Case.objects.filter(pk=second.pk).update(household_id=first.household_id)
    second.refresh_from_db()
    adult = org.units["adult"]
    # 1–10 Feb, while the first case was open: 10 nights, 4,000.
    _nights(first, shelter, adult, date(2025, 2, 1), 10, coordinator)
    # 1–5 May, between the cases: 5 nights, 2,000, before the second case opened.
    _nights(first, shelter, adult, date(2025, 5, 1), 5, coordinator)
    # 1–10 July, in the second case: 10 nights, 4,000.
    _nights(first, shelter, adult, date(2025, 7, 1), 10, coordinator)
    rows = {
        r.case_id: r
        for r in selectors.forecasts(
            coordinator, year=2025, as_of=date(2025, 8, 31), case_ids=[first.pk, second.pk]
        )
    }
    one, two = rows[first.pk], rows[second.pk]
    # 4,000 + 6,000 = the household's 10,000 once, not twice.
    assert one.shelter_cost == Decimal("4000") and one.forecast == Decimal("4000")
    assert two.shelter_cost == Decimal("6000") and two.so_far == Decimal("6000")
    # The second case's rate: 4,000 over 1 Jun–31 Aug (30 + 31 + 31 = 92 days); 1 Sep–
    # 31 Dec is 30 + 31 + 30 + 31 = 122 days: 4,000 × 122 / 92 = 5,304.347… → 5,304.35.
    # The 2,000 of May is fixed. 6,000 + 5,304.35 = 11,304.35.
    assert two.forecast == Decimal("11304.35")
    # Whoever may see only one of the cases sees the same split (it does not depend on
    # the viewer): the totals per unit add up to the household's nights.
    totals = selectors.totals_per_unit(list(rows.values()))
    assert sum(t[0] for t in totals.values()) == Decimal("10000")


def test_two_cases_open_at_once_the_night_goes_to_the_later(
    org, cases, shelter, coordinator, make_case
):
    first = cases.a
    Case.objects.filter(pk=first.pk).update(opened_on=date(2025, 1, 1))
    second = make_case(opened_on=date(2025, 3, 1))
    Case.objects.filter(pk=second.pk).update(household_id=first.household_id)
    _nights(first, shelter, org.units["adult"], date(2025, 2, 20), 20, coordinator)
    rows = {
        r.case_id: r.shelter_cost
        for r in selectors.forecasts(
            coordinator, year=2025, as_of=date(2025, 3, 31), case_ids=[first.pk, second.pk]
        )
    }
    # 20–28 February (9 nights) in the first case only; 1–11 March (11) in both: the later.
    assert rows == {first.pk: Decimal("3600"), second.pk: Decimal("4400")}


def test_a_placement_with_a_known_end_is_projected_to_that_end(org, cases, coordinator):
    Case.objects.filter(pk=cases.a.pk).update(opened_on=date(2024, 1, 1))
    flat = services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRAINING,
        reference="LGH-1",
        address="Tulegatan 9",
        rent=Decimal("5000"),
        status_since=date(2020, 1, 1),
    )
    placement = services.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=flat.pk,
        start_on=date(2025, 1, 1),
        guide=None,
        monthly_cost=Decimal("3650"),
        goals={},
    )
    services.end_placement(
        actor=coordinator,
        placement_id=placement.pk,
        expected_version=placement.version,
        end_on=date(2025, 6, 30),
        outcome="moved_on",
    )
    # Seen from 31 March: 1 Jan–31 Mar is 90 days, 3,650 × 12 × 90 / 365 = 10,800 so far;
    # it runs to 30 June, 1 Apr–30 Jun = 91 days more: 3,650 × 12 × 91 / 365 = 10,920.
    [row] = selectors.forecasts(
        coordinator, year=2025, as_of=date(2025, 3, 31), case_ids=[cases.a.pk]
    )
    assert row.so_far == Decimal("10800.00")
    assert row.forecast == Decimal("21720.00")


def _grow(org, make_case, shelter, coordinator, year: int, n: int) -> None:
    category = CostCategory.objects.get_or_create(name="Hemtjänst")[0]
    for i in range(n):
        case = make_case(opened_on=date(year, 1, 1) + timedelta(days=i))
        _nights(case, shelter, org.units["adult"], date(year, 3, 1 + i), 2, coordinator)
        services.add_cost_item(
            actor=coordinator,
            case_id=case.pk,
            category=category,
            on=date(year, 4, 1),
            amount=Decimal("100"),
        )
        flat = services.create_apartment(
            actor=coordinator,
            district_id=org.district.pk,
            kind=Apartment.Kind.TRAINING,
            reference=f"LGH-{Apartment.objects.count() + 1}",
            address="Tulegatan 9",
            rent=Decimal("5000"),
            status_since=date(2020, 1, 1),
        )
        services.start_placement(
            actor=coordinator,
            case_id=case.pk,
            apartment_id=flat.pk,
            start_on=date(year, 5, 1),
            guide=None,
            monthly_cost=Decimal("1000"),
            goals={},
        )


def test_the_forecast_page_costs_the_same_queries_however_many_clients(
    login, org, shelter, coordinator, make_case
):
    year = timezone.localdate().year - 1
    url = reverse("housing:forecast") + f"?year={year}"
    client = login(coordinator)
    _grow(org, make_case, shelter, coordinator, year, 1)
    client.get(url)  # the first request of a session sets it up
    with CaptureQueriesContext(connection) as small:
        assert len(client.get(url).context["rows"]) == 1
    _grow(org, make_case, shelter, coordinator, year, 4)
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(url).context["rows"]) == 5
    assert len(large) == len(small)


def test_statistics_forecasts_by_kept_statements_equal_the_orms(
    org, cases, shelter, coordinator, make_case, monkeypatch
):
    """Without a user (statistics) the four statements are compiled once per district's
    cases and run with each day's dates: the same forecasts as the ORM's querysets of
    that day, on cases, nights, placements and items before, inside and after cases."""
    from housing import forecast

    year = 2025
    _grow(org, make_case, shelter, coordinator, year, 3)
    first = cases.a
    Case.objects.filter(pk=first.pk).update(opened_on=date(2024, 11, 1))
    _close(first, date(2025, 3, 31))
    second = make_case(opened_on=date(2025, 6, 1))
    Case.objects.filter(pk=second.pk).update(household_id=first.household_id)
    adult = org.units["adult"]
    _nights(first, shelter, adult, date(2024, 12, 20), 20, coordinator)
    _nights(first, shelter, adult, date(2025, 5, 1), 5, coordinator)
    _nights(first, shelter, adult, date(2025, 7, 1), 10, coordinator)
    services.add_cost_item(
        actor=coordinator,
        case_id=second.pk,
        category=CostCategory.objects.create(name="Flytt"),
        on=date(2025, 5, 15),
        amount=Decimal("512.50"),
    )
    days = [
        (2024, date(2024, 12, 31)),
        *((year, date(year, m, 1 + (m % 3) * 9)) for m in range(1, 13)),
        (year, date(year + 1, 2, 1)),
    ]
    district = Case.objects.filter(responsible_unit__district=org.district)

    def orm(cases, jan1, as_of):
        return None

    forecast._KEPT.statements.clear()
    kept = [forecast.forecasts_for_cases(district, year=y, as_of=d) for y, d in days]
    # On SQLite Django binds a date as text, not a plain parameter: nothing is kept there
    # and the ORM's way answers (the comparisons below hold either way).
    assert len(forecast._KEPT.statements) == (1 if connection.vendor == "postgresql" else 0)
    with monkeypatch.context() as m:
        m.setattr(forecast._KEPT, "run", orm)
        by_orm = [forecast.forecasts_for_cases(district, year=y, as_of=d) for y, d in days]
    assert kept == by_orm
    assert sum(1 for rows in kept for r in rows if r.forecast) > 20
    assert any(r.shelter_cost and r.placement_cost for rows in kept for r in rows)
    assert any(r.other_cost % 1 for rows in kept for r in rows)
    # Compiled once: a second day only runs the four statements.
    with CaptureQueriesContext(connection) as queries:
        assert forecast.forecasts_for_cases(district, year=year, as_of=date(year, 8, 31))
    assert len(queries) == 4

    # Where a date is not a plain parameter (here a day after the as-of day), or where
    # building read the database, nothing is kept and the ORM's way gives the answer.
    real = forecast._statements

    def shifted(cases, jan1, as_of, user):
        return real(cases.exclude(opened_on=as_of + timedelta(days=1)), jan1, as_of, user)

    def reading(cases, jan1, as_of, user):
        Case.objects.count()
        return real(cases, jan1, as_of, user)

    for build in (shifted, reading):
        forecast._KEPT.statements.clear()
        with monkeypatch.context() as m:
            m.setattr(forecast, "_statements", build)
            assert forecast._compile(district) is None
            again = [forecast.forecasts_for_cases(district, year=y, as_of=d) for y, d in days]
        assert again == by_orm
        assert not forecast._KEPT.statements
