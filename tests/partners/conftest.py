from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from partners import services
from partners.models import Partner
from partners.services import PartnerData

BACKEND = "django.contrib.auth.backends.ModelBackend"


def make_place(org, name: str, fte: str = "0") -> object:
    partner = services.create_partner(
        actor=org.users["coordinator"],
        district=org.district,
        data=PartnerData(name=name, kind=Partner.Kind.MEETING_PLACE),
    )
    place = partner.meeting_place
    if fte != "0":
        services.set_staffing(
            actor=org.users["coordinator"],
            place_id=place.pk,
            expected_version=place.version,
            staff_fte=Decimal(fte),
        )
        place.refresh_from_db()
    return place


@pytest.fixture
def skotare(org):
    return org.users["skotare"]


@pytest.fixture
def balder(org, skotare):
    place = make_place(org, "Träfflokalen Balder", "2.5")
    services.assign_staff(actor=org.users["coordinator"], place_id=place.pk, user=skotare)
    return place


@pytest.fixture
def vistet(org):
    return make_place(org, "Träfflokalen Vistet")


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user, backend=BACKEND)
        return client

    return do


SEED_DAY = date(2018, 3, 14)
