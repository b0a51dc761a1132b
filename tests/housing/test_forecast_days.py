"""The statistics' forecast for many days in one pass (`forecasts_on_days`, issue 22)
gives, for every day, exactly the forecast made for that day alone: on households whose
cases open, close and follow each other, nights before, inside, between and after them,
placements and other costs, and cases of another district in the same household."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases.models import Case
from housing import forecast
from housing.models import Apartment, CostCategory, CostItem, Placement, ShelterNight

pytestmark = pytest.mark.django_db

START = date(2024, 10, 1)  # day 0 of the generated worlds; they run into 2026
SPAN = 520


def _month_ends(year: int) -> list[tuple[int, date]]:
    return [
        (year, date(year, m + 1, 1) - timedelta(days=1)) if m < 12 else (year, date(year, 12, 31))
        for m in range(1, 13)
    ]


def _each_day_alone(district, days):
    """The forecast of each day on its own, by the ORM's querysets (nothing kept)."""
    forecast._KEPT.statements.clear()
    real = forecast._KEPT.run
    forecast._KEPT.run = lambda cases, jan1, as_of: None  # type: ignore[method-assign]
    try:
        return {(y, d): forecast.forecasts_for_cases(district, year=y, as_of=d) for y, d in days}
    finally:
        forecast._KEPT.run = real  # type: ignore[method-assign]


@pytest.fixture
def world(org, shelter, make_case, other_district):
    """Six cases (their households and dates are set by each example), an apartment for
    each placement, and a cost category."""
    made = [make_case(opened_on=START) for _ in range(6)]
    Case.objects.filter(pk=made[5].pk).update(responsible_unit=other_district.adult)
    flats = [
        Apartment.objects.create(
            district=org.district,
            kind=Apartment.Kind.TRAINING,
            reference=f"LGH-{i}",
            address="Tulegatan 9",
            rent=Decimal("5000"),
            status_since=date(2020, 1, 1),
        )
        for i in range(6)
    ]
    return {
        "cases": made,
        "households": [c.household_id for c in made],
        "heads": [c.household.head for c in made],
        "flats": flats,
        "category": CostCategory.objects.create(name="Flytt"),
        "shelter": shelter,
        "unit": org.units["adult"],
        "author": org.users["coordinator"],
        "district": Case.objects.filter(responsible_unit__district=org.district),
    }


def _build(world, cases, nights, placements, items) -> None:
    for case, (household, opened, length) in zip(world["cases"], cases, strict=True):
        closed = START + timedelta(days=opened + length) if length is not None else None
        Case.objects.filter(pk=case.pk).update(
            household_id=world["households"][household],
            opened_on=START + timedelta(days=opened),
            closed_on=closed,
            status=Case.Status.CLOSED if closed else Case.Status.OPEN,
            outcome=Case.Outcome.OTHER if closed else "",
        )
    ShelterNight.objects.bulk_create(
        ShelterNight(
            person=world["heads"][who],
            shelter=world["shelter"],
            paying_unit=world["unit"],
            night=START + timedelta(days=day),
            cost=Decimal(cost) / 4,
        )
        for who, day, cost in nights
    )
    for flat, (i, start, length, monthly) in zip(world["flats"], placements, strict=False):
        case = Case.objects.get(pk=world["cases"][i].pk)
        end = START + timedelta(days=start + length) if length is not None else None
        Placement.objects.create(
            apartment=flat,
            case=case,
            household_id=case.household_id,
            start_on=START + timedelta(days=start),
            end_on=end,
            outcome=Placement.Outcome.MOVED_ON if end else "",
            monthly_cost=Decimal(monthly),
            plan="",
        )
    for i, day, amount in items:
        CostItem.objects.create(
            case=world["cases"][i],
            category=world["category"],
            on=START + timedelta(days=day),
            amount=Decimal(amount) / 100,
            author=world["author"],
        )


day = st.integers(0, SPAN)
worlds = st.fixed_dictionaries(
    {
        # (household, opened on day, open for days or still open), for each case
        "cases": st.lists(
            st.tuples(st.integers(0, 2), day, st.none() | st.integers(0, 200)),
            min_size=6,
            max_size=6,
        ),
        # (whose, day, cost in quarters of a krona): one night a person a day
        "nights": st.lists(
            st.tuples(st.integers(0, 5), day, st.integers(0, 4000)),
            max_size=40,
            unique_by=lambda n: (n[0], n[1]),
        ),
        "placements": st.lists(
            st.tuples(
                st.integers(0, 5), day, st.none() | st.integers(0, 150), st.integers(0, 9000)
            ),
            max_size=4,
        ),
        "items": st.lists(st.tuples(st.integers(0, 5), day, st.integers(0, 100_000)), max_size=8),
    }
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=worlds, extra=st.lists(day, max_size=3))
def test_forecasts_on_days_equal_each_days_forecast(world, drawn, extra):
    days = [
        *_month_ends(2024),
        *_month_ends(2025),
        (2026, date(2026, 2, 28)),
        *((d.year, d) for d in (START + timedelta(days=n) for n in extra)),
        (2025, date(2026, 1, 15)),  # a day after its year: the year's end
    ]
    with transaction.atomic():
        _build(world, **drawn)
        alone = _each_day_alone(world["district"], days)
        together = forecast.forecasts_on_days(world["district"], days)
        transaction.set_rollback(True)
    assert together == alone


def test_forecasts_on_days_cost_four_queries_a_year_and_count_what_the_days_see(world):
    """Four queries for each year asked for, however many days; and on a fixed world the
    figures the test above compares: a night before the household's second case opened
    belongs to its first case until the second opens, and to the second from then on."""
    _build(
        world,
        cases=[(0, 0, 110), (0, 200, None), (1, 0, None), (2, 0, None), (2, 0, None), (2, 0, 0)],
        nights=[(0, 115, 1600)],  # 400 SEK on 24 January 2025, between the two cases
        placements=[],
        items=[],
    )
    first, second = world["cases"][0].pk, world["cases"][1].pk
    days = [*_month_ends(2025), (2026, date(2026, 1, 31))]
    with CaptureQueriesContext(connection) as queries:
        made = forecast.forecasts_on_days(world["district"], days)
    assert len(queries) == 8
    assert made == _each_day_alone(world["district"], days)

    def shelter(on: date) -> dict[int, Decimal]:
        return {r.case_id: r.shelter_cost for r in made[(on.year, on)] if r.shelter_cost}

    # The first case closed on 19 January 2025 (day 110), the second opened on 19 April
    # (day 200): until then the night is the first case's, a cost from after it closed.
    assert shelter(date(2025, 1, 31)) == {first: Decimal("400")}
    assert shelter(date(2025, 3, 31)) == {first: Decimal("400")}
    assert shelter(date(2025, 4, 30)) == {second: Decimal("400")}
    assert shelter(date(2025, 12, 31)) == {second: Decimal("400")}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=worlds, when=st.lists(day, min_size=1, max_size=3))
def test_the_case_pages_forecast_is_the_querys_for_every_case_and_day(world, drawn, when):
    """The case page's forecast (`case_forecast`, from the page's rows, each night given
    its case and placement by `own_nights` in Python) is the query's
    (`forecasts_for_cases`, the owner and placement as correlated subqueries), for every
    case of the generated households on every day, in its year."""
    reader = world["author"]
    with transaction.atomic():
        _build(world, **drawn)
        for as_of in (START + timedelta(days=n) for n in when):
            for made in world["cases"]:
                case = Case.objects.get(pk=made.pk)
                want = forecast.forecasts_for_cases(
                    Case.objects.filter(pk=case.pk), year=as_of.year, as_of=as_of, user=reader
                )
                household = Case.objects.filter(household_id=case.household_id).order_by("id")
                placed = Placement.objects.filter(household_id=case.household_id).order_by("id")
                nights = forecast.own_nights(
                    forecast.case_nights(reader, case.household_id, year=as_of.year, as_of=as_of),
                    cases=list(household.values_list(*forecast.HOUSEHOLD_CASE)),
                    placements=list(placed.values_list(*forecast.HOUSEHOLD_PLACEMENT)),
                    as_of=as_of,
                )
                got = forecast.case_forecast(
                    case,
                    year=as_of.year,
                    as_of=as_of,
                    nights=nights,
                    cost_items=list(CostItem.objects.filter(case=case, on__year=as_of.year)),
                    placements=list(Placement.objects.filter(case=case)),
                )
                assert ([got] if got is not None else []) == want, (case.pk, as_of)
        transaction.set_rollback(True)


def _owners_both_ways(world, as_of: date) -> tuple[dict, dict]:
    """Each night's (case, placed) by the forecast's query (`night_case_ids`, `_placed`)
    and by the case page's Python (`own_nights`, from the household's rows)."""
    _open_case, owner = forecast.night_case_ids(as_of)
    by_query = {
        night.pk: (night.owner, night.placed)
        for night in ShelterNight.objects.annotate(owner=owner, placed=forecast._placed())
    }
    in_python = {}
    for household in set(world["households"]):
        cases = Case.objects.filter(household_id=household).order_by("id")
        placed = Placement.objects.filter(household_id=household).order_by("id")
        for night in forecast.own_nights(
            ShelterNight.objects.filter(person__household_id=household),
            cases=list(cases.values_list(*forecast.HOUSEHOLD_CASE)),
            placements=list(placed.values_list(*forecast.HOUSEHOLD_PLACEMENT)),
            as_of=as_of,
        ):
            in_python[night.pk] = (getattr(night, "owner", None), getattr(night, "placed", None))
    return by_query, in_python


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=worlds, when=day)
def test_each_nights_case_and_placement_in_python_are_the_querys(world, drawn, when):
    """`night_owner` and `own_nights` (the case page, in Python) give every night the
    case and the placement the forecast's query gives it (`night_case_ids`, `_placed`):
    nights before, inside, between and after cases, on their first and last days."""
    with transaction.atomic():
        _build(world, **drawn)
        by_query, in_python = _owners_both_ways(world, START + timedelta(days=when))
        transaction.set_rollback(True)
    assert in_python == by_query


def test_the_rare_edges_of_a_nights_case_and_placement(world):
    """What generated worlds seldom hold: a night after every case of its household
    closed (the one closed last), two closed the same day (the later made), and a night
    on a placement's last day (placed)."""
    drawn = {
        "cases": [(0, 10, 10), (0, 30, 5), (1, 100, None), (2, 0, 1), (2, 0, 1), (1, 200, None)],
        "nights": [(0, 40, 400), (2, 5, 400), (1, 150, 400)],
        "placements": [(0, 38, 2, 3000)],
        "items": [],
    }
    cases = world["cases"]
    with transaction.atomic():
        _build(world, **drawn)
        by_query, in_python = _owners_both_ways(world, START + timedelta(days=300))
        nights = {n.night: n.pk for n in ShelterNight.objects.all()}
        transaction.set_rollback(True)
    assert in_python == by_query
    day = lambda n: START + timedelta(days=n)  # noqa: E731
    assert in_python[nights[day(40)]] == (cases[1].pk, True)
    assert in_python[nights[day(5)]] == (cases[4].pk, False)
    assert in_python[nights[day(150)]] == (cases[2].pk, False)
