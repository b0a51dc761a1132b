"""Cost forecast arithmetic, the year-on-year comparison, and placements."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from housing import selectors, services
from housing.models import Apartment, CostCategory, Placement, ShelterNight

pytestmark = pytest.mark.django_db


def test_forecast_from_the_first_of_january():
    # 1,000 SEK over the first 100 days of 2025 → 3,650 for the year's 365 days.
    assert selectors.forecast_whole_year(
        so_far=Decimal("1000"),
        start=date(2020, 5, 1),
        as_of=date(2025, 4, 10),
        year=2025,
        ended_on=None,
    ) == Decimal("3650.00")


def test_forecast_in_a_leap_year():
    # 2024 has 366 days: 1,000 SEK over 100 days → 3,660.
    assert selectors.forecast_whole_year(
        so_far=Decimal("1000"),
        start=date(2023, 1, 1),
        as_of=date(2024, 4, 9),
        year=2024,
        ended_on=None,
    ) == Decimal("3660.00")


def test_forecast_for_a_client_who_starts_mid_year():
    # Started 1 July 2025: 184 days to 31 December. 920 SEK over the first 46 days → 3,680.
    assert selectors.forecast_whole_year(
        so_far=Decimal("920"),
        start=date(2025, 7, 1),
        as_of=date(2025, 8, 15),
        year=2025,
        ended_on=None,
    ) == Decimal("3680.00")


def test_a_closed_case_costs_nothing_more():
    assert selectors.forecast_whole_year(
        so_far=Decimal("500"),
        start=date(2025, 1, 1),
        as_of=date(2025, 6, 1),
        year=2025,
        ended_on=date(2025, 3, 1),
    ) == Decimal("500")


def test_placement_cost_spreads_the_monthly_cost_over_the_days_of_the_year():
    assert selectors.placement_cost(
        Decimal("3050"), date(2025, 1, 1), date(2025, 12, 31), 2025
    ) == Decimal("36600.00")
    assert selectors.placement_cost(
        Decimal("3050"), date(2024, 1, 1), date(2024, 12, 31), 2024
    ) == Decimal("36600.00")


def test_year_on_year_with_the_seeds_figures(org, cases, shelter):
    """Jan–Sep 2009: 938 nights; Jan–Sep 2010: 811 nights → a fall of 13.5 %."""
    person, unit = cases.a.household.head, org.units["adult"]
    others = [cases.b.household.head, cases.g.household.head, cases.p.household.head]
    people = [person, *others]
    rows = []
    for year, count in ((2009, 938), (2010, 811)):
        for n in range(count):  # four people, one night each per day, from 1 January
            night = date.fromordinal(date(year, 1, 1).toordinal() + n // 4)
            rows.append(
                ShelterNight(
                    person=people[n % 4],
                    shelter=shelter,
                    night=night,
                    cost=Decimal("400"),
                    paying_unit=unit,
                )
            )
    ShelterNight.objects.bulk_create(rows)
    result = selectors.compare_with_year_before(date(2010, 1, 1), date(2010, 9, 30))
    assert (result.previous.nights, result.current.nights) == (938, 811)
    assert result.nights_change == Decimal("-13.5")
    assert result.cost_change == Decimal("-13.5")


def test_forecasts_add_up_nights_placements_and_costs(org, cases, shelter, coordinator):
    from housing import nights

    case = cases.a
    type(case).objects.filter(pk=case.pk).update(opened_on=date(2026, 1, 1))
    nights.register_range(
        actor=coordinator,
        person=case.household.head,
        shelter=shelter,
        first=date(2026, 3, 14),
        last=date(2026, 3, 16),
        paying_unit=org.units["adult"],
    )
    services.add_cost_item(
        actor=coordinator,
        case_id=case.pk,
        category=CostCategory.objects.create(name="Hemtjänst"),
        on=date(2026, 4, 1),
        amount=Decimal("250"),
    )
    rows = selectors.forecasts(coordinator, year=2026, as_of=date(2026, 6, 30), case_ids=[case.pk])
    assert rows[0].shelter_cost == Decimal("1250") and rows[0].other_cost == Decimal("250")
    assert rows[0].so_far == Decimal("1500")
    totals = selectors.totals_per_unit(rows)
    assert totals[case.responsible_unit_id][0] == Decimal("1500")


def test_one_current_placement_per_apartment_and_a_takeover(org, cases, coordinator, guide):
    apartment = services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRIAL,
        reference="LGH-1",
        address="Tulegatan 3",
        rent=Decimal("6000"),
        status_since=date(2025, 1, 1),
    )
    placement = services.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=guide,
        monthly_cost=Decimal("1000"),
        goals={"running_home": True},
    )
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.OCCUPIED
    with pytest.raises(ValidationError) as exc:
        services.start_placement(
            actor=coordinator,
            case_id=cases.b.pk,
            apartment_id=apartment.pk,
            start_on=date(2025, 3, 1),
            guide=None,
            monthly_cost=Decimal("0"),
            goals={},
        )
    assert "apartment" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.end_placement(
            actor=coordinator,
            placement_id=placement.pk,
            expected_version=placement.version,
            end_on=date(2026, 1, 31),
            outcome="takeover",
        )
    assert "takeover_on" in exc.value.message_dict
    services.end_placement(
        actor=coordinator,
        placement_id=placement.pk,
        expected_version=placement.version,
        end_on=date(2026, 1, 31),
        outcome="takeover",
        takeover_on=date(2026, 2, 1),
    )
    placement.refresh_from_db()
    assert placement.outcome == Placement.Outcome.TAKEOVER and placement.takeover_on == date(
        2026, 2, 1
    )
    chain = [s.step for s in selectors.housing_chain(coordinator, cases.a)]
    assert chain == ["trial", "own_contract"]
    # The guide now follows the case.
    from cases.core.selectors.cases import visible_cases

    assert visible_cases(guide).filter(pk=cases.a.pk).exists()


# --- forecasts(): the whole chain, checked against figures worked out by hand ----------


def _flat(coordinator, org, reference):
    return services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRAINING,
        reference=reference,
        address="Tulegatan 9",
        rent=Decimal("5000"),
        status_since=date(2020, 1, 1),
    )


def _open(case, on: date) -> None:
    type(case).objects.filter(pk=case.pk).update(opened_on=on)


def test_forecast_of_a_client_whose_case_opened_mid_year(org, cases, shelter, coordinator):
    from housing import nights

    case = cases.a
    _open(case, date(2025, 7, 1))
    # Ten nights, 10–19 July 2025, at 400 SEK: 4,000.
    nights.register_range(
        actor=coordinator,
        person=case.household.head,
        shelter=shelter,
        first=date(2025, 7, 10),
        last=date(2025, 7, 19),
        paying_unit=org.units["adult"],
    )
    services.add_cost_item(
        actor=coordinator,
        case_id=case.pk,
        category=CostCategory.objects.create(name="Flyttkostnad"),
        on=date(2025, 8, 1),
        amount=Decimal("300"),
    )
    services.start_placement(
        actor=coordinator,
        case_id=case.pk,
        apartment_id=_flat(coordinator, org, "LGH-1").pk,
        start_on=date(2025, 8, 1),
        guide=None,
        monthly_cost=Decimal("1500"),
        goals={},
    )
    [row] = selectors.forecasts(coordinator, year=2025, as_of=date(2025, 9, 30), case_ids=[case.pk])
    # Placement: 1 Aug–30 Sep is 31 + 30 = 61 days of 2025's 365:
    # 1,500 × 12 × 61 / 365 = 1,098,000 / 365 = 3,008.219… → 3,008.22.
    assert row.shelter_cost == Decimal("4000")
    assert row.other_cost == Decimal("300")
    assert row.placement_cost == Decimal("3008.22")
    assert row.so_far == Decimal("7308.22")
    # Nights and other costs go on at their rate since the case opened: 4,000 + 300 =
    # 4,300 over 1 Jul–30 Sep (31 + 31 + 30 = 92 days); 1 Oct–31 Dec is another 92 days,
    # so another 4,300. The running placement goes on at its own monthly cost for those
    # 92 days: 1,500 × 12 × 92 / 365 = 1,656,000 / 365 = 4,536.986… → 4,536.99.
    # 7,308.22 + 4,300 + 4,536.99 = 16,145.21.
    assert row.forecast == Decimal("16145.21")


def test_forecast_with_placements_over_a_leap_years_february(
    org, cases, shelter, coordinator, guide
):
    from housing import nights

    _open(cases.a, date(2023, 5, 1))
    _open(cases.g, date(2023, 5, 1))
    # Case A: in a flat since 1 February 2024, and one night on 29 February (400 SEK).
    services.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=_flat(coordinator, org, "LGH-1").pk,
        start_on=date(2024, 2, 1),
        guide=None,
        monthly_cost=Decimal("3050"),
        goals={},
    )
    nights.register_range(
        actor=coordinator,
        person=cases.a.household.head,
        shelter=shelter,
        first=date(2024, 2, 29),
        last=date(2024, 2, 29),
        paying_unit=org.units["adult"],
        during_placement_confirmed=True,
    )
    # Case G: a placement from 15 January to 15 March 2024 that has ended.
    ended = services.start_placement(
        actor=coordinator,
        case_id=cases.g.pk,
        apartment_id=_flat(coordinator, org, "LGH-2").pk,
        start_on=date(2024, 1, 15),
        guide=guide,
        monthly_cost=Decimal("1830"),
        goals={},
    )
    services.end_placement(
        actor=coordinator,
        placement_id=ended.pk,
        expected_version=ended.version,
        end_on=date(2024, 3, 15),
        outcome=Placement.Outcome.MOVED_ON,
    )
    rows = {
        r.case_id: r
        for r in selectors.forecasts(
            coordinator, year=2024, as_of=date(2024, 3, 31), case_ids=[cases.a.pk, cases.g.pk]
        )
    }
    a, g = rows[cases.a.pk], rows[cases.g.pk]
    # A: 1 Feb–31 Mar is 29 + 31 = 60 days of 2024's 366:
    # 3,050 × 12 × 60 / 366 = 2,196,000 / 366 = 6,000.00; with the night, 6,400.
    assert a.placement_cost == Decimal("6000.00") and a.shelter_cost == Decimal("400")
    assert a.so_far == Decimal("6400.00")
    # The night was during the placement (confirmed): it is paid, but not projected on
    # top of the flat (issue 19; it used to add 400 × 275 / 91 = 1,208.79). 1 Apr–31 Dec
    # is 366 − 91 = 275 days, and the flat goes on at 3,050 a month for them:
    # 3,050 × 12 × 275 / 366 = 36,600 × 275 / 366 = 27,500.00.
    # 6,400 + 27,500 = 33,900.00.
    assert a.forecast == Decimal("33900.00")
    # G: 15 Jan–15 Mar is 17 + 29 + 15 = 61 days: 1,830 × 12 × 61 / 366 = 3,660.00.
    # The placement has ended, so it costs nothing more this year.
    assert g.placement_cost == Decimal("3660.00") and g.so_far == Decimal("3660.00")
    assert g.forecast == Decimal("3660.00")


# --- The comparison covers the viewer's own district only --------------------------------


def test_comparison_counts_only_the_viewers_district(
    client, login, org, cases, shelter, other_district
):
    from housing.models import Shelter, ShelterPrice

    south_shelter = Shelter.objects.create(name="Söderhärbärget", district=other_district.district)
    ShelterPrice.objects.create(
        shelter=south_shelter, valid_from=date(2008, 1, 1), price_per_night=Decimal("500")
    )
    rows = []
    # Norrmalm pays 4 nights in March 2009 and 3 in March 2010; Södermalm 20 and 10.
    for year, north, south in ((2009, 4, 20), (2010, 3, 10)):
        for n in range(north):
            rows.append(
                ShelterNight(
                    person=cases.a.household.head,
                    shelter=shelter,
                    night=date(year, 3, 1 + n),
                    cost=Decimal("400"),
                    paying_unit=org.units["adult"],
                )
            )
        for n in range(south):
            rows.append(
                ShelterNight(
                    person=cases.b.household.head,
                    shelter=south_shelter,
                    night=date(year, 3, 1 + n),
                    cost=Decimal("500"),
                    paying_unit=other_district.adult,
                )
            )
    ShelterNight.objects.bulk_create(rows)
    period = {"start": "2010-01-01", "end": "2010-09-30"}
    north = login(org.users["coordinator"]).get(reverse("housing:comparison"), period)
    result = north.context["result"]
    assert (result.previous.nights, result.current.nights) == (4, 3)
    assert (result.previous.cost, result.current.cost) == (Decimal("1600"), Decimal("1200"))
    assert result.nights_change == Decimal("-25.0")
    south = login(other_district.coordinator).get(reverse("housing:comparison"), period)
    result = south.context["result"]
    assert (result.previous.nights, result.current.nights) == (20, 10)
    assert result.nights_change == Decimal("-50.0")
    # Someone with no housing district compares nothing.
    assert (
        selectors.compare_for_user(
            org.users["caseworker"], date(2010, 1, 1), date(2010, 9, 30)
        ).current.nights
        == 0
    )


def test_the_case_pages_forecast_is_the_lists_for_nights_before_the_case_opened(
    org, cases, shelter, coordinator
):
    """The case page's forecast (`case_forecast`, from its rows) and the lists'
    (`forecasts`, by query) agree where nights fell before the case opened and while it
    was open: only the nights while it was open set the rate for the rest of the year.
    (No "case open that night" is read for the page: a case's own nights answer it
    from the case's dates, `forecast._open_on`.)"""
    from housing import nights
    from housing.forecast import _open_on, case_forecast, case_nights

    case = cases.a
    _open(case, date(2025, 3, 1))
    case.refresh_from_db()
    for first in (date(2025, 2, 10), date(2025, 4, 1)):
        nights.register_range(
            actor=coordinator,
            person=case.household.head,
            shelter=shelter,
            first=first,
            last=first.replace(day=first.day + 2),
            paying_unit=org.units["adult"],
        )
    as_of = date(2025, 9, 30)
    from cases.models import Case
    from housing.forecast import HOUSEHOLD_CASE, HOUSEHOLD_PLACEMENT, own_nights

    household = Case.objects.filter(household_id=case.household_id)
    rows = own_nights(
        case_nights(coordinator, case.household_id, year=2025, as_of=as_of),
        cases=list(household.values_list(*HOUSEHOLD_CASE)),
        placements=list(
            Placement.objects.filter(household_id=case.household_id).values_list(
                *HOUSEHOLD_PLACEMENT
            )
        ),
        as_of=as_of,
    )
    assert len(rows) == 6 and {row.owner for row in rows} == {case.pk}
    assert [_open_on(case, row.night) for row in rows].count(True) == 3
    [want] = selectors.forecasts(coordinator, year=2025, as_of=as_of, case_ids=[case.pk])
    got = case_forecast(case, year=2025, as_of=as_of, nights=rows, cost_items=[], placements=[])
    assert got is not None
    assert (got.shelter_cost, got.so_far, got.forecast) == (
        want.shelter_cost,
        want.so_far,
        want.forecast,
    )
    # Six nights at 400 so far; the three of April over 1 Mar-30 Sep (214 days) go on
    # for 1 Oct-31 Dec (92 days): 1,200 x 92 / 214 = 515.89; 2,400 + 515.89.
    assert (got.shelter_cost, got.forecast) == (Decimal("2400"), Decimal("2915.89"))


def test_own_nights_reads_its_nights_once():
    """`own_nights` gives each night its case and placement and returns them all, whatever
    it is given (a generator too: read twice, it returned none)."""
    from types import SimpleNamespace

    from housing.forecast import own_nights

    nights = (SimpleNamespace(night=date(2025, 1, day)) for day in (1, 2))
    rows = own_nights(
        nights,
        cases=[(7, date(2024, 12, 1), None)],
        placements=[(date(2025, 1, 2), None)],
        as_of=date(2025, 1, 3),
    )
    assert [(row.owner, row.placed) for row in rows] == [(7, False), (7, True)]
