"""A placement's agreed period (issue 19: the start page lists placements ending): set
when the placement starts, never before the move-in, shown on the placement page."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from housing import services
from housing.models import Apartment, Placement

pytestmark = pytest.mark.django_db


@pytest.fixture
def apartment(org, coordinator):
    return services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRAINING,
        reference="TR-1",
        address="Tulegatan 5",
        rent=Decimal("5000"),
        status_since=date(2025, 1, 1),
    )


def test_agreed_end_is_kept_and_shown(login, coordinator, guide, cases, apartment):
    response = login(coordinator).post(
        reverse("housing:placement_new", args=[cases.g.pk]),
        {
            "apartment": apartment.pk,
            "start_on": "2025-02-01",
            "contract_type": Placement.ContractType.SECOND_HAND,
            "agreed_end_on": "2026-01-31",
            "guide": guide.pk,
            "monthly_cost": "0",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    placement = Placement.objects.get(apartment=apartment)
    assert placement.agreed_end_on == date(2026, 1, 31)
    page = login(coordinator).get(response["Location"]).content.decode()
    assert "Överenskommen till" in page and "2026-01-31" in page


def test_agreed_end_before_the_move_in_is_refused(coordinator, guide, cases, apartment):
    with pytest.raises(ValidationError) as refused:
        services.start_placement(
            actor=coordinator,
            case_id=cases.g.pk,
            apartment_id=apartment.pk,
            start_on=date(2025, 2, 1),
            agreed_end_on=date(2025, 1, 1),
            guide=guide,
            monthly_cost=Decimal("0"),
            goals={},
        )
    assert set(refused.value.message_dict) == {"agreed_end_on"}
    assert not Placement.objects.exists()
