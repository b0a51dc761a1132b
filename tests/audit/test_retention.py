from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit import chain, retention, services
from audit.models import AccessLogEntry
from audit.registry import registry
from cases.models import Case, Household, Person
from tests.case_fixtures import person

from .helpers import add_entries

pytestmark = pytest.mark.django_db


def backdate_everything(years: int = 6) -> None:
    old = timezone.now() - timedelta(days=365 * years + 10)
    for reg in registry.models.values():
        if reg.date_field:
            reg.model.objects.update(**{reg.date_field: old})
        reg.model.history.update(history_date=old)


def heads(cases):
    return {k: getattr(cases, k).household.head_id for k in "abpg"}


def test_plan_culls_old_people_but_keeps_research_days(cases):
    ids = heads(cases)
    backdate_everything()
    plan = retention.plan()
    # B was born on the 5th: kept for research. Everyone else is past retention.
    assert plan.research == [ids["b"]]
    assert set(plan.cull) == {ids["a"], ids["p"], ids["g"]}


def test_recent_entry_keeps_a_person(cases, caseworker):
    ids = heads(cases)
    backdate_everything()
    head = Person.objects.get(pk=ids["a"])
    from cases.core.services.people import update_person

    update_person(
        actor=caseworker,
        case_id=cases.a.pk,
        person_id=head.pk,
        expected_version=head.version,
        data=person("Astrid", "Adultsson", "19800101-2387", notes="Ny anteckning"),
    )
    assert ids["a"] not in retention.plan().cull


def test_nothing_is_culled_within_retention(cases):
    assert retention.plan().cull == []


def test_cull_with_and_without_legal_hold(cases, auditor):
    ids = heads(cases)
    add_entries(auditor, 3, person_id=ids["a"])
    services.place_legal_hold(
        actor=auditor, person_id=ids["a"], reason="Tvist i förvaltningsrätten"
    )
    backdate_everything()
    log_before = AccessLogEntry.objects.count()
    result = retention.apply(dry_run=False)
    assert result.held == [ids["a"]]
    # Held and research people stay with their cases and history.
    assert Person.objects.filter(pk__in=[ids["a"], ids["b"]]).count() == 2
    assert Case.objects.filter(pk__in=[cases.a.pk, cases.b.pk]).count() == 2
    # The others are gone: records, history rows (with the deletion rows) and blind indexes.
    gone = [ids["p"], ids["g"]]
    assert not Person.objects.filter(pk__in=gone).exists()
    assert not Person.history.filter(id__in=gone).exists()
    assert not Case.objects.filter(pk__in=[cases.p.pk, cases.g.pk]).exists()
    assert not Case.history.filter(id__in=[cases.p.pk, cases.g.pk]).exists()
    assert not Household.history.filter(
        id__in=[cases.p.household_id, cases.g.household_id]
    ).exists()
    assert result.counts["cases.person"] == 2
    # The access log is kept whole and still verifies.
    assert AccessLogEntry.objects.count() == log_before
    assert chain.verify().ok
    # Released hold: the next run culls A too.
    hold = services.release_legal_hold(actor=auditor, hold_id=result_hold(ids["a"]))
    assert hold.released_at is not None
    second = retention.apply(dry_run=False)
    assert second.cull == [ids["a"]]
    assert not Person.objects.filter(pk=ids["a"]).exists()
    assert not Person.history.filter(id=ids["a"]).exists()


def result_hold(person_id):
    from audit.models import LegalHold

    return LegalHold.objects.get(person_id=person_id, released_at__isnull=True).pk


def test_household_with_a_kept_member_is_kept_whole(make_case):
    case = make_case(
        people=[
            person("Hanna", "Hushåll", "19800101-2387"),
            person("Erik", "Hushåll", "19750505-4176"),
        ]
    )
    backdate_everything()
    plan = retention.plan()
    members = set(
        Person.objects.filter(household_id=case.household_id).values_list("pk", flat=True)
    )
    assert not members & set(plan.cull)
    assert case.household.head_id in plan.entangled


def test_dry_run_lists_ids_and_deletes_nothing(cases, capsys):
    ids = heads(cases)
    backdate_everything()
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert (
        f"Would cull 3 people: {' '.join(map(str, sorted([ids['a'], ids['p'], ids['g']])))}" in out
    )
    assert "Adultsson" not in out and "19800101" not in out
    assert Person.objects.count() == 4


def test_culling_takes_the_housing_chain_and_handovers_with_it(org, cases):
    """Apps that build on cases join retention: nothing of theirs blocks or outlives a cull."""
    from datetime import date
    from decimal import Decimal

    from cases.handovers.services import sending as handovers
    from cases.models import Handover
    from housing import nights
    from housing import services as housing
    from housing.models import Placement, Shelter, ShelterNight, ShelterPrice

    coordinator = org.users["coordinator"]
    shelter = Shelter.objects.create(name="Natthärbärget", district=org.district)
    ShelterPrice.objects.create(
        shelter=shelter, valid_from=date(2015, 1, 1), price_per_night=Decimal(400)
    )
    nights.register_range(
        actor=coordinator,
        person=cases.a.household.head,
        shelter=shelter,
        first=date(2019, 3, 1),
        last=date(2019, 3, 3),
        paying_unit=org.units["adult"],
    )
    apartment = housing.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind="trial",
        reference="R-1",
        address="Gatan 2",
        rent=Decimal(5000),
        status_since=date(2019, 1, 1),
    )
    housing.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=apartment.pk,
        start_on=date(2019, 4, 1),
        guide=None,
        monthly_cost=Decimal(100),
        goals={},
    )
    handovers.send_handover(
        actor=coordinator,
        case_id=cases.a.pk,
        kind="consultation",
        to_unit=org.units["income_support"],
        reason="Rådgivning",
    )
    backdate_everything()
    retention.apply(dry_run=False)
    assert not Case.objects.filter(pk=cases.a.pk).exists()
    for model in (ShelterNight, Placement, Handover):
        assert not model.objects.exists(), model
        assert not model.history.exists(), model
