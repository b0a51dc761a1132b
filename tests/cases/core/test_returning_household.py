"""A returning client: someone whose earlier case is closed gets a new case for their
household, reached from the new-case form's refusal and from the closed case's page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from bokvar.models import Unit
from cases.core.selectors.cases import assignees_of, may_see_case
from cases.core.selectors.people import may_see_person
from cases.core.services.cases import close_case
from cases.core.services.households import open_case_for_household
from cases.models import Case, Person

from .test_case_flow import create_payload

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
ROLES = [
    "coordinator",
    "guide",
    "caseworker",
    "caseworker2",
    "steering",
    "auditor",
    "admin",
    "skotare",
]


def _close(case, actor):
    case.refresh_from_db()
    return close_case(
        actor=actor,
        case_id=case.pk,
        expected_version=case.version,
        outcome=Case.Outcome.LEASE_KEPT,
        closed_on=timezone.localdate(),
    )


def _url(case):
    return reverse("cases:household_new_case", args=[case.household_id])


def _post_new(client, org, case, unit_kind=Unit.Kind.ADULT, **extra):
    return client.post(
        _url(case),
        {"kind": "homelessness", "responsible_unit": org.units[unit_kind].pk, **extra},
    )


def test_from_the_create_form_to_a_new_case_for_the_household(client, org, cases):
    caseworker = org.users["caseworker"]
    _close(cases.a, caseworker)
    client.force_login(caseworker, backend=BACKEND)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    people_before = Person.objects.count()
    refused = client.post(
        reverse("cases:create"),
        create_payload(
            org,
            kind="homelessness",
            responsible_unit=org.units[Unit.Kind.ADULT].pk,
            **{"people-0-personal_number": "800101-2387"},
        ),
    )
    assert refused.status_code == 200
    offer = refused.context["offer"]
    assert offer["open_case"] is None and offer["household_id"] == cases.a.household_id
    assert offer["new_case_url"].startswith(_url(cases.a))
    assert "kind=homelessness" in offer["new_case_url"]
    assert offer["new_case_url"].replace("&", "&amp;") in refused.content.decode()

    page = client.get(offer["new_case_url"])
    assert page.status_code == 200
    assert page.context["form"].initial["kind"] == "homelessness"
    response = _post_new(client, org, cases.a, assignees=[caseworker.pk])
    assert response.status_code == 302
    new = Case.objects.exclude(pk=cases.a.pk).get(household_id=cases.a.household_id)
    assert response.url == reverse("cases:detail", args=[new.pk])
    assert (new.status, new.kind, new.responsible_unit.kind) == ("open", "homelessness", "adult")
    assert Person.objects.count() == people_before  # the household's people, not copies
    assert assignees_of(new) == [caseworker]
    assert may_see_case(caseworker, new)
    row = new.history.get()
    assert (row.history_user, row.history_change_reason) == (
        caseworker,
        "new case for a returning household",
    )


def test_a_closed_case_page_offers_a_new_case_an_open_one_does_not(client, org, cases):
    client.force_login(org.users["caseworker"], backend=BACKEND)
    assert (
        _url(cases.a) not in client.get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    )
    _close(cases.a, org.users["caseworker"])
    page = client.get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert _url(cases.a) in page


def test_an_open_case_is_linked_instead_and_never_doubled(client, org, cases):
    caseworker = org.users["caseworker"]
    _close(cases.a, caseworker)
    first = open_case_for_household(
        actor=caseworker,
        household_id=cases.a.household_id,
        kind="homelessness",
        responsible_unit=org.units[Unit.Kind.ADULT],
        assignees=[],
    )
    with pytest.raises(ValidationError) as exc:
        open_case_for_household(
            actor=org.users["coordinator"],
            household_id=cases.a.household_id,
            kind="homelessness",
            responsible_unit=org.units[Unit.Kind.ADULT],
            assignees=[],
        )
    assert "household" in exc.value.message_dict
    client.force_login(caseworker, backend=BACKEND)
    page = client.get(_url(cases.a))
    assert page.status_code == 200 and "form" not in page.context
    assert reverse("cases:detail", args=[first.pk]) in page.content.decode()
    assert _post_new(client, org, cases.a).status_code == 200  # the link again, no form
    assert Case.objects.filter(household_id=cases.a.household_id).count() == 2
    # The closed case's page no longer offers one either, and the create form links there.
    detail = client.get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert 'href="' + _url(cases.a) + '"' not in detail


# Who reaches the household of case A (adult unit) once it is closed.
EXPECTED = {
    "coordinator": 200,  # every case of the district
    "caseworker": 200,  # the adult unit's case
    "guide": 404,  # not assigned: may not know the household exists
    "caseworker2": 404,
    "steering": 403,
    "auditor": 403,
    "admin": 403,
    "skotare": 403,
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_a_new_case(client, org, cases, outsider, role):
    _close(cases.a, org.users["coordinator"])
    user = org.users[role]
    client.force_login(user, backend=BACKEND)
    assert client.get(_url(cases.a)).status_code == EXPECTED[role]
    unit = Unit.Kind.HOUSING_TEAM if role in {"coordinator", "guide"} else Unit.Kind.ADULT
    if role == "caseworker2":
        unit = Unit.Kind.INCOME_SUPPORT
    response = _post_new(client, org, cases.a, unit)
    assert response.status_code == (302 if EXPECTED[role] == 200 else EXPECTED[role])
    opened = Case.objects.filter(household_id=cases.a.household_id, status="open").count()
    assert opened == (1 if EXPECTED[role] == 200 else 0)
    if response.status_code == 404:
        assert "Astrid" not in response.content.decode()
    client.force_login(outsider, backend=BACKEND)
    assert client.get(_url(cases.a)).status_code == 403


def test_service_refuses_the_invisible_and_other_units(org, cases):
    _close(cases.a, org.users["coordinator"])
    with pytest.raises(Http404):
        open_case_for_household(
            actor=org.users["caseworker2"],
            household_id=cases.a.household_id,
            kind="homelessness",
            responsible_unit=org.units[Unit.Kind.INCOME_SUPPORT],
            assignees=[],
        )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # sees the case, but not a unit of their own
        open_case_for_household(
            actor=org.users["caseworker"],
            household_id=cases.a.household_id,
            kind="homelessness",
            responsible_unit=org.units[Unit.Kind.INCOME_SUPPORT],
            assignees=[],
        )
    assert not Case.objects.filter(status="open", household_id=cases.a.household_id).exists()


def test_protected_people_pass_only_from_an_actor_who_sees_them(org, cases):
    coordinator, caseworker = org.users["coordinator"], org.users["caseworker"]
    petra = cases.p.household.head
    _close(cases.p, coordinator)
    open_case_for_household(
        actor=caseworker,  # sees case P but not Petra: passes nothing on
        household_id=cases.p.household_id,
        kind="homelessness",
        responsible_unit=org.units[Unit.Kind.ADULT],
        assignees=[caseworker],
    )
    assert not may_see_person(caseworker, petra)
    _close(Case.objects.get(household_id=cases.p.household_id, status="open"), coordinator)
    open_case_for_household(
        actor=coordinator,  # granted Petra when creating case P
        household_id=cases.p.household_id,
        kind="homelessness",
        responsible_unit=org.units[Unit.Kind.ADULT],
        assignees=[caseworker],
    )
    assert may_see_person(caseworker, petra)
