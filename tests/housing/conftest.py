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
