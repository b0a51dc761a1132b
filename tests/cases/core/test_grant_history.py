"""Access to cases and protected people leaves history naming who gave or took it."""

from __future__ import annotations

import pytest

from cases.core.services.access import grant_case_access, grant_protected_person
from cases.core.services.cases import update_case
from cases.models import (
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    PersonUserObjectPermission,
)

pytestmark = pytest.mark.django_db


def test_grant_to_a_user_leaves_history_naming_the_actor(org, cases):
    coordinator, colleague = org.users["coordinator"], org.users["caseworker2"]
    grant_case_access(actor=coordinator, case_id=cases.a.pk, user=colleague)
    rows = CaseUserObjectPermission.history.filter(content_object=cases.a, user=colleague)
    assert rows.count() == 2  # view and change
    assert {(r.history_type, r.history_user_id, r.history_change_reason) for r in rows} == {
        ("+", coordinator.pk, "access granted")
    }


def test_grant_to_a_unit_leaves_history_naming_the_actor(org, cases, income_support):
    coordinator = org.users["coordinator"]
    grant_case_access(actor=coordinator, case_id=cases.a.pk, unit=income_support)
    rows = CaseGroupObjectPermission.history.filter(
        content_object=cases.a, group=income_support.group
    )
    assert rows.count() == 2
    assert all(r.history_user_id == coordinator.pk and r.history_type == "+" for r in rows)


def test_revoke_leaves_history_naming_the_actor(org, cases):
    coordinator, caseworker = org.users["coordinator"], org.users["caseworker"]
    update_case(
        actor=coordinator,
        case_id=cases.a.pk,
        expected_version=cases.a.version,
        kind=cases.a.kind,
        assignees=[],
    )
    assert not CaseUserObjectPermission.objects.filter(content_object=cases.a, user=caseworker)
    removed = CaseUserObjectPermission.history.filter(
        content_object_id=cases.a.pk, user=caseworker, history_type="-"
    )
    assert removed.count() == 2
    assert {(r.history_user_id, r.history_change_reason) for r in removed} == {
        (coordinator.pk, "assignees changed")
    }


def test_case_creation_grants_are_attributed(org, cases):
    rows = CaseGroupObjectPermission.history.filter(content_object=cases.a)
    assert rows.exists()
    assert all(r.history_user_id == org.users["coordinator"].pk for r in rows)
    assert all(r.history_change_reason == "case created" for r in rows)


def test_protected_person_grant_leaves_history_naming_the_actor(org, cases):
    coordinator, caseworker = org.users["coordinator"], org.users["caseworker"]
    person_id = cases.p.household.head_id
    grant_protected_person(
        actor=coordinator, case_id=cases.p.pk, person_id=person_id, user=caseworker
    )
    row = PersonUserObjectPermission.history.get(content_object_id=person_id, user=caseworker)
    assert row.history_type == "+"
    assert row.history_user_id == coordinator.pk
    assert row.history_change_reason == "protected person granted"


def test_case_page_names_the_system_for_rows_without_a_user(org, cases):
    from django.utils import translation

    from cases.core.history import case_changes
    from cases.models import Case

    Case.history.filter(id=cases.a.pk).update(history_user=None)
    with translation.override("en"):
        rows = case_changes(cases.a)
    assert "System" in {r.who for r in rows}
