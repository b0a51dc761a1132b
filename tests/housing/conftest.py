from datetime import date
from decimal import Decimal

import pytest

from housing.models import Shelter, ShelterPrice


@pytest.fixture
def shelter(org):
    shelter = Shelter.objects.create(name="Härbärget Navet", district=org.district)
    ShelterPrice.objects.create(
        shelter=shelter, valid_from=date(2008, 1, 1), price_per_night=Decimal("400")
    )
    ShelterPrice.objects.create(
        shelter=shelter, valid_from=date(2026, 3, 16), price_per_night=Decimal("450")
    )
    return shelter


def csv_bytes(*rows: str, header: str = "personal_number,shelter,night,paying_unit") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def other_district(org):
    """A second district with its own housing team (coordinator and guide) and adult unit."""
    from types import SimpleNamespace

    from bokvar.models import District, Unit
    from bokvar.services import add_membership, create_unit
    from tests.factories import UserFactory

    district = District.objects.create(code="sodermalm", name="Södermalm")
    team = create_unit(district=district, name="Bo Kvar Söder", kind=Unit.Kind.HOUSING_TEAM)
    adult = create_unit(district=district, name="Vuxenenheten Söder", kind=Unit.Kind.ADULT)
    coordinator = UserFactory(username="coordinator-south")
    add_membership(user=coordinator, unit=team, role="coordinator")
    guide = UserFactory(username="guide-south")
    add_membership(user=guide, unit=team, role="guide")
    return SimpleNamespace(
        district=district, team=team, adult=adult, coordinator=coordinator, guide=guide
    )
