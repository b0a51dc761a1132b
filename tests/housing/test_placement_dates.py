"""Placement dates are checked: no overlap with the apartment's previous placement, no
move-in far ahead, no move-out or takeover in the future or before the move-in. A refused
placement leaves nothing behind (the flat stays as it was)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from housing import services
from housing.models import Apartment, Placement

pytestmark = pytest.mark.django_db


@pytest.fixture
def apartment(org, coordinator):
    return services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRIAL,
        reference="LGH-1",
        address="Tulegatan 3",
        rent=Decimal("6000"),
        status_since=date(2024, 1, 1),
    )


def _start(coordinator, case, apartment, start_on):
    return services.start_placement(
        actor=coordinator,
        case_id=case.pk,
        apartment_id=apartment.pk,
        start_on=start_on,
        guide=None,
        monthly_cost=Decimal("1000"),
        goals={},
    )


def _end(coordinator, placement, end_on, outcome="moved_on", takeover_on=None):
    placement.refresh_from_db()
    return services.end_placement(
        actor=coordinator,
        placement_id=placement.pk,
        expected_version=placement.version,
        end_on=end_on,
        outcome=outcome,
        takeover_on=takeover_on,
    )


def _state(apartment):
    apartment.refresh_from_db()
    return (
        apartment.status,
        apartment.status_since,
        apartment.version,
        sorted(Placement.objects.values_list("pk", "end_on", "outcome")),
    )


def test_a_move_in_before_the_previous_placement_ended_is_refused(coordinator, cases, apartment):
    first = _start(coordinator, cases.a, apartment, date(2025, 1, 1))
    _end(coordinator, first, date(2025, 6, 30))
    before = _state(apartment)
    with pytest.raises(ValidationError) as exc:
        _start(coordinator, cases.b, apartment, date(2025, 6, 1))
    assert list(exc.value.message_dict) == ["start_on"]
    assert "2025-06-30" in exc.value.message_dict["start_on"][0]
    # Before the first placement began overlaps it too.
    with pytest.raises(ValidationError) as exc:
        _start(coordinator, cases.b, apartment, date(2024, 12, 1))
    assert list(exc.value.message_dict) == ["start_on"]
    assert _state(apartment) == before
    # Moving in the day the previous client moved out is fine.
    assert _start(coordinator, cases.b, apartment, date(2025, 6, 30)).pk


def test_a_move_in_far_ahead_is_refused(coordinator, cases, apartment):
    today = timezone.localdate()
    before = _state(apartment)
    too_far = today + timedelta(days=services.MAX_START_AHEAD_DAYS + 1)
    with pytest.raises(ValidationError) as exc:
        _start(coordinator, cases.a, apartment, too_far)
    assert list(exc.value.message_dict) == ["start_on"]
    assert _state(apartment) == before
    planned = _start(coordinator, cases.a, apartment, today + timedelta(days=7))
    assert planned.start_on == today + timedelta(days=7)


def test_a_move_out_in_the_future_is_refused(coordinator, cases, apartment):
    placement = _start(coordinator, cases.a, apartment, date(2025, 1, 1))
    before = _state(apartment)
    with pytest.raises(ValidationError) as exc:
        _end(coordinator, placement, timezone.localdate() + timedelta(days=1))
    assert list(exc.value.message_dict) == ["end_on"]
    # The flat is still occupied, the placement still current.
    assert _state(apartment) == before
    assert before[0] == Apartment.Status.OCCUPIED


def test_a_move_out_before_the_move_in_is_refused(coordinator, cases, apartment):
    placement = _start(coordinator, cases.a, apartment, date(2025, 3, 1))
    before = _state(apartment)
    with pytest.raises(ValidationError) as exc:
        _end(coordinator, placement, date(2025, 2, 28))
    assert list(exc.value.message_dict) == ["end_on"]
    assert _state(apartment) == before


# Two days ahead, not one: the parameter is read at collection, and a run that
# crosses midnight in Stockholm would make tomorrow today.
@pytest.mark.parametrize(
    "takeover_on", [date(2025, 2, 1), timezone.localdate() + timedelta(days=2)]
)
def test_a_takeover_before_the_move_in_or_in_the_future_is_refused(
    coordinator, cases, apartment, takeover_on
):
    placement = _start(coordinator, cases.a, apartment, date(2025, 3, 1))
    before = _state(apartment)
    with pytest.raises(ValidationError) as exc:
        _end(coordinator, placement, date(2025, 9, 30), "takeover", takeover_on)
    assert list(exc.value.message_dict) == ["takeover_on"]
    assert _state(apartment) == before


def test_the_forms_show_the_error_by_the_field(client, login, coordinator, cases, apartment):
    first = _start(coordinator, cases.a, apartment, date(2025, 1, 1))
    login(coordinator)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("housing:placement_end", args=[first.pk]),
        {"end_on": future, "outcome": "moved_on", "version": first.version},
    )
    assert response.status_code == 200 and response.context["form"].errors["end_on"]
    _end(coordinator, first, date(2025, 6, 30))
    response = client.post(
        reverse("housing:placement_new", args=[cases.b.pk]),
        {
            "apartment": apartment.pk,
            "start_on": "2025-05-01",
            "contract_type": "second_hand",
            "monthly_cost": "1000",
        },
    )
    assert response.status_code == 200 and response.context["form"].errors["start_on"]
    assert Placement.objects.count() == 1
