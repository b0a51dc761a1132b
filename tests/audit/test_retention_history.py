"""Retention leaves nothing of a culled person behind: history of rows removed before the
cull (a child, a deadline, a cost item, a shelter night, assignments ended by a handover)
and access grants with their history go too; a legal hold keeps all of it."""

from __future__ import annotations

from datetime import date

import pytest

from audit import retention, services
from audit.models import LegalHold
from audit.registry import registry
from bokvar.history import attribute
from cases.core.services.access import grant_case_access, revoke_perm
from cases.core.services.households import remove_household_child
from cases.models import (
    CaseAssignment,
    CaseUserObjectPermission,
    Deadline,
    Handover,
    HandoverReadAccess,
    HouseholdChild,
    PersonUserObjectPermission,
)
from housing import nights
from housing import services as housing
from housing.models import CostItem, Placement, ProgressNote, ShelterNight

from .records import fill_case
from .test_retention import backdate_everything

pytestmark = pytest.mark.django_db


def _remove_things(org, case, made):
    """Rows removed the ordinary way before retention runs; their ids."""
    coordinator = org.users["coordinator"]
    household = case.household
    child = household.children.order_by("pk").first()
    household.refresh_from_db()
    remove_household_child(
        actor=coordinator, case_id=case.pk, child_id=child.pk, expected_version=household.version
    )
    deadline = Deadline.objects.create(
        case=case, threat=made.threat, kind=Deadline.Kind.EVICTION, due_on=date(2025, 6, 1)
    )
    attribute(deadline, user=coordinator, reason="date removed from threat").delete()
    housing.remove_cost_item(actor=coordinator, case_id=case.pk, item_id=made.cost.pk)
    nights.remove_night(actor=coordinator, case_id=case.pk, night_id=made.night.pk)
    return {
        HouseholdChild: child.pk,
        Deadline: deadline.pk,
        CostItem: made.cost.pk,
        ShelterNight: made.night.pk,
    }


def _history_of_case(case, head_id) -> dict[str, int]:
    """History rows that name the case, its household or its main tenant, per model
    (grants on protected people: see the grants test)."""
    keyed = {
        HouseholdChild: {"household_id": case.household_id},
        ShelterNight: {"person_id": head_id},
        ProgressNote: {"placement_id__in": Placement.history.filter(case_id=case.pk).values("id")},
        CaseUserObjectPermission: {"content_object_id": case.pk},
    }
    out = {}
    for model in [
        *keyed,
        CaseAssignment,
        Deadline,
        CostItem,
        Placement,
        Handover,
        HandoverReadAccess,
    ]:
        where = keyed.get(model, {"case_id": case.pk})
        out[model._meta.label_lower] = model.history.filter(**where).count()
    return out


def test_history_of_rows_removed_earlier_goes_with_the_person(org, cases):
    made = fill_case(org, cases.a, tag="A1", transfer_to=org.units["income_support"])
    removed = _remove_things(org, cases.a, made)
    head = cases.a.household.head_id
    # The transfer ended the adult unit's assignments: their history names the case.
    assert CaseAssignment.history.filter(case_id=cases.a.pk, history_type="-").exists()
    before = _history_of_case(cases.a, head)
    assert all(before.values()), before
    backdate_everything()
    result = retention.apply(dry_run=False)
    assert head in result.cull
    for model, pk in removed.items():
        assert not model.history.filter(id=pk).exists(), model
    assert _history_of_case(cases.a, head) == dict.fromkeys(before, 0)
    # Nothing registered about the person is left, live or in history.
    for reg in registry.models.values():
        if reg.records_of_person is not None:
            assert not reg.records_of_person(head).exists(), reg.label


def test_access_grants_and_their_history_go_with_the_person(org, cases, auditor):
    coordinator = org.users["coordinator"]
    # A grant given and taken back again: only its history names the case now.
    grant_case_access(actor=coordinator, case_id=cases.a.pk, user=org.users["caseworker2"])
    revoke_perm(
        "cases.view_case",
        org.users["caseworker2"],
        cases.a,
        actor=coordinator,
        reason="access taken back",
    )
    protected = cases.p.household.head_id
    assert CaseUserObjectPermission.objects.filter(content_object_id=cases.a.pk).exists()
    assert PersonUserObjectPermission.objects.filter(content_object_id=protected).exists()
    assert PersonUserObjectPermission.history.filter(content_object_id=protected).exists()
    backdate_everything()
    result = retention.apply(dry_run=False)
    assert result.counts["cases.caseuserobjectpermission"] > 0
    assert result.counts["cases.personuserobjectpermission"] > 0
    gone_cases = [cases.a.pk, cases.p.pk, cases.g.pk]
    for model, ids in (
        (CaseUserObjectPermission, gone_cases),
        (PersonUserObjectPermission, [protected]),
    ):
        assert not model.objects.filter(content_object_id__in=ids).exists(), model
        assert not model.history.filter(content_object_id__in=ids).exists(), model
    # B (born on a research day) keeps their case's grants and the history of them.
    assert CaseUserObjectPermission.objects.filter(content_object_id=cases.b.pk).exists()
    assert CaseUserObjectPermission.history.filter(content_object_id=cases.b.pk).exists()


def test_legal_hold_keeps_everything_and_release_lets_it_go(org, cases, auditor):
    made = fill_case(org, cases.a, tag="H1", transfer_to=org.units["income_support"])
    _remove_things(org, cases.a, made)
    head = cases.a.household.head_id
    services.place_legal_hold(actor=auditor, person_id=head, reason="Tvist i förvaltningsrätten")
    before = _history_of_case(cases.a, head)
    live = {
        label: reg.records_of_person(head).count()
        for label, reg in registry.models.items()
        if reg.records_of_person is not None
    }
    backdate_everything()
    result = retention.apply(dry_run=False)
    assert head in result.held and head not in result.cull
    assert _history_of_case(cases.a, head) == before
    assert {label: registry.models[label].records_of_person(head).count() for label in live} == live
    # Released: the next run culls the person, and the released hold's reason with them.
    hold = LegalHold.objects.get(person_id=head)
    services.release_legal_hold(actor=auditor, hold_id=hold.pk)
    second = retention.apply(dry_run=False)
    assert head in second.cull
    assert _history_of_case(cases.a, head) == dict.fromkeys(before, 0)
    assert not LegalHold.objects.filter(person_id=head).exists()
    assert not LegalHold.history.filter(person_id=head).exists()
