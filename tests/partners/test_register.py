"""The partner register and the meeting places' hours, staffing and costs: kept by
coordinators and administrators, refused to everyone else."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from partners import services
from partners.models import MeetingPlace, Partner, PlaceCost
from partners.services import PartnerData

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Balans Stockholm",
    "kind": "association",
    "contact_person": "Kansliet",
    "email": "info@balans.example",
    "target_groups": "Depression, bipolär sjukdom",
    "agreement_from": "2025-01-01",
    "agreement_until": "2025-12-31",
    "is_active": "on",
}


def test_who_keeps_the_register(login, org, outsider):
    for name in ("partners:list", "partners:new"):
        for username in org.users:
            expected = 200 if username in {"coordinator", "admin"} else 403
            assert login(org.users[username]).get(reverse(name)).status_code == expected, (
                name,
                username,
            )
        assert login(outsider).get(reverse(name)).status_code == 403


def test_register_a_partner_and_edit_it(login, org):
    client = login(org.users["admin"])
    response = client.post(reverse("partners:new"), {**NEW, "district": org.district.pk})
    assert response.status_code == 302
    partner = Partner.objects.get()
    assert partner.agreement_in_force(date(2025, 6, 1))
    assert not partner.agreement_in_force(date(2026, 1, 1))
    listing = client.get(reverse("partners:list")).content.decode()
    assert "Balans Stockholm" in listing
    edit = reverse("partners:edit", args=[partner.pk])
    response = client.post(edit, {**NEW, "phone": "08-123 45 67", "version": 1})
    assert response.status_code == 302
    partner.refresh_from_db()
    assert (partner.phone, partner.version) == ("08-123 45 67", 2)
    # An edit based on the old version is refused and says so.
    stale = client.post(edit, {**NEW, "phone": "08-999", "version": 1})
    assert stale.status_code == 200 and stale.context["conflict"]
    partner.refresh_from_db()
    assert partner.phone == "08-123 45 67"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"agreement_until": "2024-01-01"}, "agreement_until"),
        ({"agreement_from": ""}, "agreement_from"),
        ({"kind": "bank"}, "kind"),
        ({"name": ""}, "name"),
        ({"email": "not-an-address"}, "email"),
    ],
)
def test_bad_register_input_names_the_field(login, org, overrides, field):
    response = login(org.users["coordinator"]).post(
        reverse("partners:new"), {**NEW, "district": org.district.pk, **overrides}
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Partner.objects.exists()


def test_a_name_is_registered_once_per_district(org):
    data = PartnerData(name="Balans", kind="association")
    services.create_partner(actor=org.users["coordinator"], district=org.district, data=data)
    with pytest.raises(ValidationError) as exc:
        services.create_partner(
            actor=org.users["admin"],
            district=org.district,
            data=PartnerData(name="balans ", kind="association"),
        )
    assert "name" in exc.value.message_dict


def test_a_meeting_place_is_a_partner_with_a_place_record(org):
    partner = services.create_partner(
        actor=org.users["coordinator"],
        district=org.district,
        data=PartnerData(name="Träfflokalen Balder", kind="meeting_place"),
    )
    assert MeetingPlace.objects.get().partner == partner
    with pytest.raises(ValidationError) as exc:
        services.update_partner(
            actor=org.users["coordinator"],
            partner_id=partner.pk,
            expected_version=1,
            data=PartnerData(name="Balder", kind="association"),
        )
    assert "kind" in exc.value.message_dict


def test_opening_periods_staffing_and_costs(login, org, skotare, balder):
    coordinator = org.users["coordinator"]
    client = login(coordinator)
    response = client.post(
        reverse("partners:opening_new", args=[balder.pk]),
        {
            "starts_on": "2019-04-01",
            "weekdays": ["1", "3", "5"],
            "opens_at": "10:00",
            "closes_at": "16:00",
        },
    )
    assert response.status_code == 302
    period = balder.opening_periods.get()
    assert (period.weekdays, period.opens_at) == ("135", time(10))
    bad = client.post(
        reverse("partners:opening_new", args=[balder.pk]),
        {"starts_on": "2019-04-01", "weekdays": ["1"], "opens_at": "16:00", "closes_at": "10:00"},
    )
    assert bad.status_code == 200 and "closes_at" in bad.context["form"].errors
    for kind, amount in (("staff", "1314000"), ("rent", "390000"), ("other", "176000")):
        response = client.post(
            reverse("partners:cost_set", args=[balder.pk]),
            {"year": 2020, "kind": kind, "amount": amount},
        )
        assert response.status_code == 302
    # Setting a kind again replaces it.
    client.post(
        reverse("partners:cost_set", args=[balder.pk]),
        {"year": 2020, "kind": "other", "amount": "176000.00"},
    )
    assert PlaceCost.objects.filter(place=balder, year=2020).count() == 3
    total = sum(c.amount for c in PlaceCost.objects.filter(place=balder, year=2020))
    assert total == Decimal(1880000)  # Balder's budget 2020, 000_*
    response = client.post(
        reverse("partners:staffing", args=[balder.pk]), {"staff_fte": "2.5", "version": 2}
    )
    assert response.status_code == 302
    page = client.get(reverse("partners:place", args=[balder.pk])).content.decode()
    # Amounts read grouped by thousands in Swedish (issue 19, point 9).
    assert "2,50" in page and "1\xa0314\xa0000" in page
    # The skötare reads the place but changes none of it.
    staff = login(skotare)
    assert staff.get(reverse("partners:place", args=[balder.pk])).status_code == 200
    for name in ("partners:opening_new", "partners:cost_set", "partners:staffing"):
        assert staff.get(reverse(name, args=[balder.pk])).status_code == 403, name


def test_costs_and_periods_refuse_bad_input(org, balder):
    coordinator = org.users["coordinator"]
    with pytest.raises(ValidationError) as exc:
        services.set_cost(
            actor=coordinator, place_id=balder.pk, year=2020, kind="rent", amount=Decimal(-1)
        )
    assert "amount" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.add_opening_period(
            actor=coordinator,
            place_id=balder.pk,
            starts_on=date(2020, 5, 1),
            ends_on=date(2020, 4, 1),
            weekdays="1",
            opens_at=time(9),
            closes_at=time(12),
        )
    assert "ends_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.add_opening_period(
            actor=coordinator,
            place_id=balder.pk,
            starts_on=date(2020, 5, 1),
            ends_on=None,
            weekdays="8",
            opens_at=time(9),
            closes_at=time(12),
        )
    assert "weekdays" in exc.value.message_dict


def test_only_meeting_place_staff_can_be_assigned(org, balder):
    with pytest.raises(ValidationError) as exc:
        services.assign_staff(
            actor=org.users["coordinator"], place_id=balder.pk, user=org.users["caseworker"]
        )
    assert "user" in exc.value.message_dict


def test_the_lists_take_the_same_queries_however_many_partners(login, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    coordinator = org.users["coordinator"]
    client = login(coordinator)

    def measure(n: int, offset: int) -> tuple[int, int]:
        for i in range(n):
            for kind in ("association", "meeting_place"):
                services.create_partner(
                    actor=coordinator,
                    district=org.district,
                    data=PartnerData(name=f"{kind} {offset + i}", kind=kind),
                )
        counts = []
        for name in ("partners:list", "partners:places"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(reverse(name)).status_code == 200
            counts.append(len(ctx.captured_queries))
        listed, places = counts
        return listed, places

    assert measure(1, 0) == measure(3, 10)
