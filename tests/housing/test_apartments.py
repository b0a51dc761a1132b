"""Apartment status by hand (vacant, being renovated), occupancy through placements, and
a contract takeover taking the flat out of the municipality's stock."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from housing import selectors, services
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
        status_since=date(2025, 1, 1),
    )


def _place(coordinator, guide, case, apartment, start=date(2025, 2, 1)) -> Placement:
    return services.start_placement(
        actor=coordinator,
        case_id=case.pk,
        apartment_id=apartment.pk,
        start_on=start,
        guide=guide,
        monthly_cost=Decimal("1000"),
        goals={"running_home": True},
    )


def _status_url(apartment):
    return reverse("housing:apartment_status", args=[apartment.pk])


@pytest.mark.parametrize("who", ["coordinator", "guide"])
def test_coordinator_and_guide_set_the_status_on_the_apartment_page(
    client, login, org, apartment, who
):
    login(org.users[who])
    page = client.get(reverse("housing:apartment", args=[apartment.pk])).content.decode()
    assert _status_url(apartment) in page
    response = client.post(
        _status_url(apartment),
        {"status": "renovation", "since": "2025-06-01", "version": apartment.version},
    )
    assert response.status_code == 302
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.RENOVATION
    assert apartment.status_since == date(2025, 6, 1) and apartment.version == 2
    last = apartment.history.first()
    assert last.history_user == org.users[who] and last.history_change_reason == "apartment status"
    # Renovated: not vacant, so not offered for a placement.
    assert not selectors.apartments_for(org.users[who]).filter(status="vacant").exists()


def test_occupied_cannot_be_set_by_hand(client, login, coordinator, apartment):
    login(coordinator)
    response = client.post(
        _status_url(apartment),
        {"status": "occupied", "since": "2025-06-01", "version": apartment.version},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ny status" in body and "genom en placering" in body
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.VACANT and apartment.version == 1
    with pytest.raises(ValidationError) as exc:
        services.set_apartment_status(
            actor=coordinator,
            apartment_id=apartment.pk,
            expected_version=1,
            status=Apartment.Status.OCCUPIED,
            since=date(2025, 6, 1),
        )
    assert "status" in exc.value.message_dict


def test_no_status_by_hand_while_a_placement_is_current(
    client, login, coordinator, guide, cases, apartment
):
    _place(coordinator, guide, cases.a, apartment)
    apartment.refresh_from_db()
    login(coordinator)
    page = client.get(reverse("housing:apartment", args=[apartment.pk])).content.decode()
    assert _status_url(apartment) not in page and "placering pågår" in page
    for status in ("vacant", "renovation"):
        response = client.post(
            _status_url(apartment),
            {"status": status, "since": "2025-06-01", "version": apartment.version},
        )
        body = response.content.decode()
        assert response.status_code == 200
        assert "Ny status" in body and "avsluta placeringen först" in body
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.OCCUPIED and apartment.version == 2


def test_the_date_is_checked(client, login, coordinator, guide, cases, apartment):
    placement = _place(coordinator, guide, cases.a, apartment)
    services.end_placement(
        actor=coordinator,
        placement_id=placement.pk,
        expected_version=placement.version,
        end_on=date(2025, 5, 31),
        outcome="moved_on",
    )
    apartment.refresh_from_db()
    login(coordinator)
    future = timezone.localdate() + timedelta(days=1)
    for since, message in [
        (future, "kan inte ligga i framtiden"),
        (date(2025, 5, 1), "innan den senaste placeringen slutade (2025-05-31)"),
    ]:
        response = client.post(
            _status_url(apartment),
            {"status": "renovation", "since": since.isoformat(), "version": apartment.version},
        )
        body = response.content.decode()
        assert "Sedan" in body and message in body
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.VACANT


def test_a_stale_version_is_refused_and_the_user_told(client, login, coordinator, apartment):
    services.set_apartment_status(
        actor=coordinator,
        apartment_id=apartment.pk,
        expected_version=1,
        status=Apartment.Status.RENOVATION,
        since=date(2025, 3, 1),
    )
    login(coordinator)
    response = client.post(
        _status_url(apartment), {"status": "vacant", "since": "2025-06-01", "version": 1}
    )
    assert response.status_code == 200 and "Redigeringskonflikt" in response.content.decode()
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.RENOVATION and apartment.version == 2


def test_only_the_districts_coordinators_and_guides_set_the_status(org, apartment, other_district):
    for user in (org.users["caseworker"], other_district.coordinator, other_district.guide):
        with pytest.raises(PermissionDenied):
            services.set_apartment_status(
                actor=user,
                apartment_id=apartment.pk,
                expected_version=1,
                status=Apartment.Status.RENOVATION,
                since=date(2025, 3, 1),
            )


def test_status_form_rejects_wrong_method(client, login, coordinator, apartment):
    login(coordinator)
    assert client.get(_status_url(apartment)).status_code == 405


def test_a_takeover_takes_the_flat_out_of_the_stock(
    client, login, org, coordinator, guide, cases, apartment
):
    year = timezone.localdate().year
    type(cases.a).objects.filter(pk=cases.a.pk).update(opened_on=date(year - 1, 1, 1))
    placement = _place(coordinator, guide, cases.a, apartment, start=date(year, 1, 1))
    services.end_placement(
        actor=coordinator,
        placement_id=placement.pk,
        expected_version=placement.version,
        end_on=date(year, 1, 31),
        outcome="takeover",
        takeover_on=date(year, 2, 1),
    )
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.LEFT_STOCK
    assert apartment.status_since == date(year, 2, 1)
    assert apartment.municipality_first_hand is False and not apartment.in_stock

    # Not vacant, not offered for a placement, not in the stock's list.
    login(coordinator)
    listing = client.get(reverse("housing:apartments"))
    assert apartment not in listing.context["vacant"]
    assert apartment not in listing.context["apartments"]
    assert apartment in listing.context["left_stock"]
    new = client.get(reverse("housing:placement_new", args=[cases.b.pk]))
    assert apartment not in new.context["form"].fields["apartment"].queryset
    with pytest.raises(ValidationError):
        _place(coordinator, guide, cases.b, apartment, start=date(year, 3, 1))

    # Its status is final: no form, and the service refuses.
    page = client.get(reverse("housing:apartment", args=[apartment.pk])).content.decode()
    assert _status_url(apartment) not in page and "inte längre en del av" in page
    response = client.post(
        _status_url(apartment),
        {"status": "vacant", "since": f"{year}-03-01", "version": apartment.version},
    )
    assert "lämnat kommunens bestånd" in response.content.decode()
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.LEFT_STOCK

    # The forecast counts January's cost of the flat, and projects nothing more for it:
    # 1,000 SEK a month over January's 31 days.
    days = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
    january = (Decimal(1000) * 12 * 31 / days).quantize(Decimal("0.01"))
    [row] = selectors.forecasts(
        coordinator, year=year, as_of=date(year, 6, 30), case_ids=[cases.a.pk]
    )
    assert row.placement_cost == january and row.so_far == january
    assert row.forecast == january


def test_moving_on_leaves_the_flat_vacant(coordinator, guide, cases, apartment):
    placement = _place(coordinator, guide, cases.a, apartment)
    services.end_placement(
        actor=coordinator,
        placement_id=placement.pk,
        expected_version=placement.version,
        end_on=date(2025, 5, 31),
        outcome="moved_on",
    )
    apartment.refresh_from_db()
    assert apartment.status == Apartment.Status.VACANT
    assert apartment.status_since == date(2025, 5, 31) and apartment.municipality_first_hand


def test_migration_moves_earlier_takeovers_out_of_the_stock(coordinator, guide, cases, apartment):
    """Flats taken over before the 'left the stock' status were left 'being renovated'."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("housing.migrations.0003_apartment_left_stock")
    placement = _place(coordinator, guide, cases.a, apartment)
    Placement.objects.filter(pk=placement.pk).update(
        end_on=date(2025, 6, 30), outcome="takeover", takeover_on=date(2025, 7, 1)
    )
    Apartment.objects.filter(pk=apartment.pk).update(
        status="renovation", status_since=date(2025, 6, 30), version=5
    )
    renovated = services.create_apartment(
        actor=coordinator,
        district_id=apartment.district_id,
        kind=Apartment.Kind.TRAINING,
        reference="LGH-2",
        address="Tulegatan 6",
        rent=Decimal("5000"),
        status_since=date(2025, 1, 1),
    )
    Apartment.objects.filter(pk=renovated.pk).update(status="renovation")
    migration.takeovers_leave_the_stock(apps, None)
    apartment.refresh_from_db()
    assert apartment.status == "left_stock" and not apartment.municipality_first_hand
    assert apartment.version == 6 and apartment.history.first().status == "left_stock"
    assert apartment.history.first().address == "Tulegatan 3"
    renovated.refresh_from_db()
    assert renovated.status == "renovation"
