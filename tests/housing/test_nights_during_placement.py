"""Shelter nights during a running placement (issue 19, point 7): registered only after
a confirmation, and never counted twice in the cost forecast."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from housing import nights, services
from housing.forecast import forecasts
from housing.models import Apartment, ShelterNight

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


@pytest.fixture
def placed(org, cases, coordinator, guide):
    """Case A, open since January, moves into a training apartment on 1 June 2026."""
    from cases.models import Case

    Case.objects.filter(pk=cases.a.pk).update(opened_on=date(2026, 1, 1))
    apartment = services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRAINING,
        reference="LGH-55",
        address="Övningsgatan 5",
        rent=Decimal("5000"),
        status_since=date(2026, 1, 1),
    )
    return services.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=apartment.pk,
        start_on=date(2026, 6, 1),
        guide=guide,
        monthly_cost=Decimal("3000"),
        goals={},
    )


def register(cases, shelter, actor, org, first, last, **kw):
    return nights.register_range(
        actor=actor,
        person=cases.a.household.head,
        shelter=shelter,
        first=first,
        last=last,
        paying_unit=org.units["adult"],
        **kw,
    )


def test_nights_during_a_placement_need_a_confirmation(org, cases, shelter, coordinator, placed):
    with pytest.raises(ValidationError) as refused:
        register(cases, shelter, coordinator, org, date(2026, 5, 30), date(2026, 6, 2))
    message = str(refused.value.message_dict["during_placement_confirmed"])
    assert "2026-06-01" in message and "2026-06-02" in message and "2026-05-31" not in message
    assert not ShelterNight.objects.exists()  # nothing half-saved
    made = register(
        cases,
        shelter,
        coordinator,
        org,
        date(2026, 5, 30),
        date(2026, 6, 2),
        during_placement_confirmed=True,
    )
    assert len(made) == 4
    # Before the placement no confirmation is asked.
    assert register(cases, shelter, coordinator, org, date(2026, 5, 1), date(2026, 5, 1))


def test_the_form_asks_for_the_confirmation(login, org, cases, shelter, coordinator, placed):
    client = login(coordinator)
    url = reverse("housing:nights_new", args=[cases.a.pk])
    data = {
        "person": cases.a.household.head_id,
        "shelter": shelter.pk,
        "first": "2026-06-10",
        "paying_unit": org.units["adult"].pk,
    }
    response = client.post(url, data)
    assert response.context["form"].errors["during_placement_confirmed"]
    assert not ShelterNight.objects.exists()
    assert client.post(url, {**data, "during_placement_confirmed": "on"}).status_code == 302
    assert ShelterNight.objects.count() == 1


def test_nights_during_a_placement_are_not_projected_on_top_of_it(
    org, cases, shelter, coordinator, placed
):
    """The forecast projected the June shelter nights to the end of the year on top of
    the placement's own cost for the same months."""
    register(
        cases,
        shelter,
        coordinator,
        org,
        date(2026, 6, 1),
        date(2026, 6, 10),
        during_placement_confirmed=True,
    )
    (row,) = forecasts(coordinator, year=2026, as_of=AS_OF, case_ids=[cases.a.pk])
    # Paid: ten nights at 450 and June's placement, once each.
    assert row.shelter_cost == Decimal("4500")
    placement_june = row.placement_cost
    assert row.so_far == Decimal("4500") + placement_june + row.other_cost
    # Ahead: the placement's cost to 31 December, and no shelter rate on top of it.
    without_nights = row.so_far - Decimal("4500")
    assert row.forecast - row.so_far == pytest.approx(
        Decimal("3000") * 12 * (date(2026, 12, 31) - AS_OF).days / 365, abs=Decimal("1")
    )
    assert without_nights >= 0


def test_nights_before_the_placement_still_set_the_rate(org, cases, shelter, coordinator, placed):
    """Only the nights when the household was housed leave the rate: the others are
    projected as before."""
    register(cases, shelter, coordinator, org, date(2026, 5, 1), date(2026, 5, 10))
    (row,) = forecasts(coordinator, year=2026, as_of=AS_OF, case_ids=[cases.a.pk])
    placement_ahead = Decimal("3000") * 12 * (date(2026, 12, 31) - AS_OF).days / 365
    assert row.forecast - row.so_far > placement_ahead + 1
