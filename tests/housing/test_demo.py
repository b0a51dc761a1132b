"""Housing demo data: every apartment kind with current and past placements, takeovers,
and a second run of seed_demo that changes nothing."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from housing.models import Apartment, Placement, ProgressNote, Shelter, ShelterNight

pytestmark = pytest.mark.django_db


def _state() -> dict:
    return {
        "shelters": Shelter.objects.count(),
        "nights": ShelterNight.objects.count(),
        "apartments": sorted(
            Apartment.objects.values_list("reference", "kind", "status", "status_since", "version")
        ),
        "placements": sorted(
            Placement.objects.values_list(
                "apartment__reference", "case_id", "start_on", "end_on", "outcome", "version"
            )
        ),
        "notes": ProgressNote.objects.count(),
        "history": Apartment.history.count() + Placement.history.count(),
    }


def test_seed_demo_places_households_in_every_kind_of_apartment(demo_seeded):
    today = timezone.localdate()
    for kind in Apartment.Kind.values:
        placements = Placement.objects.filter(apartment__kind=kind)
        assert placements.filter(end_on__isnull=True).exists(), f"no current placement: {kind}"
        assert placements.filter(end_on__isnull=False).exists(), f"no past placement: {kind}"
    takeovers = Placement.objects.filter(outcome=Placement.Outcome.TAKEOVER)
    assert takeovers.exists()
    for placement in takeovers.select_related("apartment"):
        assert placement.apartment.status == Apartment.Status.LEFT_STOCK
        assert not placement.apartment.municipality_first_hand
    # Placements lie within their case's time, and none in the future.
    for p in Placement.objects.select_related("case"):
        assert p.case.opened_on <= p.start_on <= today
        assert p.end_on is None or p.start_on <= p.end_on <= today
    # An apartment's placements never overlap, and one with a current placement is occupied.
    for apartment in Apartment.objects.all():
        spans = list(apartment.placements.order_by("start_on").values_list("start_on", "end_on"))
        for (_start, end), (next_start, _end) in zip(spans, spans[1:], strict=False):
            assert end is not None and end <= next_start
        if spans and spans[-1][1] is None:
            assert apartment.status == Apartment.Status.OCCUPIED


def test_seed_demo_twice_changes_no_housing_data(capsys, demo_seeded):
    first = _state()
    call_command("seed_demo", "--password", "pw-for-test-1")
    capsys.readouterr()
    assert _state() == first
