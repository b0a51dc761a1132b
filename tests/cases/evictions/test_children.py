"""A household's children (birth year only) can be added and removed on the case by
whoever may write it; the children-at-eviction flag then fires for real cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from bokvar.concurrency import ConflictError
from bokvar.models import Notification
from cases.core.services.households import add_household_child
from cases.evictions.services import threats
from cases.evictions.services.threats import ThreatData
from cases.models import HouseholdChild

pytestmark = pytest.mark.django_db


def _status(client, user, method, url, data=None) -> int:
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = getattr(client, method)(url, data or {})
    client.logout()
    return response.status_code


def test_who_may_open_the_children_page(client, org, cases, outsider):
    url = reverse("cases:children", args=[cases.a.pk])
    assert _status(client, None, "get", url) == 302
    # Write access: the district's coordinator and the responsible unit's caseworker.
    assert _status(client, org.users["coordinator"], "get", url) == 200
    assert _status(client, org.users["caseworker"], "get", url) == 200
    # No knowledge of the case: 404. No role for cases: 403.
    assert _status(client, org.users["caseworker2"], "get", url) == 404
    assert _status(client, org.users["guide"], "get", url) == 404
    assert _status(client, org.users["admin"], "get", url) == 404
    for username in ("steering", "auditor"):
        assert _status(client, org.users[username], "get", url) == 403, username
    assert _status(client, outsider, "get", url) == 403
    assert _status(client, org.users["coordinator"], "delete", url) == 405


def test_read_only_access_may_not_change_children(client, org, cases):
    from guardian.shortcuts import assign_perm

    assign_perm("cases.view_case", org.users["caseworker2"], cases.a)
    child = cases.a.household.children.first()
    version = cases.a.household.version
    add = reverse("cases:children", args=[cases.a.pk])
    remove = reverse("cases:child_remove", args=[cases.a.pk, child.pk])
    reader = org.users["caseworker2"]
    assert _status(client, reader, "get", add) == 403
    assert _status(client, reader, "post", add, {"birth_year": 2020, "version": version}) == 403
    assert _status(client, reader, "post", remove, {"version": version}) == 403
    with pytest.raises(PermissionDenied):
        add_household_child(
            actor=reader, case_id=cases.a.pk, expected_version=version, birth_year=2020
        )
    with pytest.raises(Http404):
        add_household_child(
            actor=org.users["guide"], case_id=cases.a.pk, expected_version=version, birth_year=2020
        )
    assert cases.a.household.children.count() == 2


def test_caseworker_adds_and_removes_a_child(client, org, cases):
    household = cases.a.household
    url = reverse("cases:children", args=[cases.a.pk])
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(url, {"birth_year": 2021, "version": household.version})
    assert response.status_code == 302
    household.refresh_from_db()
    assert sorted(household.children.values_list("birth_year", flat=True)) == [2015, 2019, 2021]
    added = household.children.get(birth_year=2021)
    record = added.history.latest()
    assert (record.history_user, record.history_change_reason) == (
        org.users["caseworker"],
        "child added",
    )
    remove = reverse("cases:child_remove", args=[cases.a.pk, added.pk])
    assert client.get(remove).status_code == 405
    assert client.post(remove, {"version": household.version}).status_code == 302
    assert not HouseholdChild.objects.filter(pk=added.pk).exists()
    # A child of another household cannot be removed through this case.
    other = cases.a.household.children.first()
    foreign = reverse("cases:child_remove", args=[cases.g.pk, other.pk])
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    household.refresh_from_db()
    assert client.post(foreign, {"version": cases.g.household.version}).status_code == 404
    assert HouseholdChild.objects.filter(pk=other.pk).exists()


def test_bad_birth_year_names_the_field_and_saves_nothing(client, org, cases):
    url = reverse("cases:children", args=[cases.a.pk])
    version = cases.a.household.version
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    for bad in ("", "abc", "1850", str(timezone.localdate().year + 1)):
        response = client.post(url, {"birth_year": bad, "version": version})
        assert response.status_code == 400, bad
        assert "birth_year" in response.context["form"].errors, bad
    with pytest.raises(ValidationError) as exc:
        add_household_child(
            actor=org.users["caseworker"],
            case_id=cases.a.pk,
            expected_version=version,
            birth_year=1899,
        )
    assert "birth_year" in exc.value.message_dict
    assert cases.a.household.children.count() == 2


def test_concurrent_edits_are_refused(client, org, cases):
    household = cases.a.household
    stale = household.version
    add_household_child(
        actor=org.users["coordinator"], case_id=cases.a.pk, expected_version=stale, birth_year=2020
    )
    with pytest.raises(ConflictError):
        add_household_child(
            actor=org.users["caseworker"],
            case_id=cases.a.pk,
            expected_version=stale,
            birth_year=2022,
        )
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("cases:children", args=[cases.a.pk])
    response = client.post(url, {"birth_year": 2022, "version": stale})
    assert response.status_code == 400 and response.context["conflict"]
    child = household.children.first()
    remove = reverse("cases:child_remove", args=[cases.a.pk, child.pk])
    assert client.post(remove, {"version": stale}).status_code == 302
    assert household.children.count() == 3
    assert not household.children.filter(birth_year=2022).exists()


def test_adding_a_child_flags_a_close_eviction_to_coordinators(org, make_case):
    case = make_case(assignees=["caseworker"])
    today = timezone.localdate()
    threats.create_threat(
        actor=org.users["caseworker"],
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=today - timedelta(days=40),
            board_notified_on=today - timedelta(days=40),
            eviction_on=today + timedelta(days=10),
        ),
    )
    flagged = Notification.objects.filter(kind="children_eviction")
    assert not flagged.exists()
    add_household_child(
        actor=org.users["caseworker"],
        case_id=case.pk,
        expected_version=case.household.version,
        birth_year=2018,
    )
    assert set(flagged.values_list("recipient__username", flat=True)) == {"coordinator"}
