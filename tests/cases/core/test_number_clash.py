"""An identity number already held by someone else is refused, but only a user who may
see that person is told that they exist: for everyone else the refusal is neutral and
names no person and no case (a protected person must not be discoverable by trying
their number in the new-case or person form)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from bokvar.models import Unit
from cases.models import Case, HouseholdChild, Person

from .test_case_flow import create_payload

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
NUMBERS = {"a": "19800101-2387", "p": "19900303-5624"}
NAMES = {"a": ["Astrid", "Adultsson"], "p": ["Petra", "Skyddadsdotter", "Hemligvägen"]}
UNIT = {
    "coordinator": Unit.Kind.HOUSING_TEAM,
    "guide": Unit.Kind.HOUSING_TEAM,
    "caseworker": Unit.Kind.ADULT,
    "caseworker2": Unit.Kind.INCOME_SUPPORT,
}
NEUTRAL = "This identity number cannot be registered here. Contact a housing coordinator."
REGISTERED = "A person with this identity number is already registered."

# (role, whose number) -> whether the role may see that person and so is told clearly.
# caseworker sees case P but not its protected tenant; caseworker2 and the guide see
# neither A nor P; the coordinator created both cases and is granted Petra.
MATRIX = [
    ("caseworker", "p", False),
    ("caseworker2", "p", False),
    ("guide", "p", False),
    ("caseworker2", "a", False),
    ("guide", "a", False),
    ("coordinator", "p", True),
    ("coordinator", "a", True),
    ("caseworker", "a", True),
]


def _login_en(client, user):
    client.force_login(user, backend=BACKEND)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _counts():
    return (Case.objects.count(), Person.objects.count(), HouseholdChild.objects.count())


def _assert_told(body: str, *, visible: bool, which: str, case) -> None:
    hidden = [*NAMES[which], case.number, "already registered", "redan registrerad"]
    if visible:
        assert REGISTERED in body and NEUTRAL not in body
        assert case.number in body
        assert reverse("cases:detail", args=[case.pk]) in body
    else:
        assert NEUTRAL in body
        leaked = [s for s in hidden if s in body]
        assert not leaked, leaked


@pytest.mark.parametrize(("role", "which", "visible"), MATRIX)
def test_create_with_a_registered_number(client, org, cases, role, which, visible):
    user = org.users[role]
    _login_en(client, user)
    before = _counts()
    response = client.post(
        reverse("cases:create"),
        create_payload(
            org,
            responsible_unit=org.units[UNIT[role]].pk,
            assignees=[user.pk],
            **{"people-0-personal_number": NUMBERS[which]},
        ),
    )
    assert _counts() == before
    if not visible:
        # Answered as a registration that was made (issue 16, point 4): see
        # tests/cases/evictions/test_no_existence_oracle.py.
        assert response.status_code == 302
        assert response["Location"] == reverse("cases:registration_received")
        return
    assert response.status_code == 200
    errors = response.context["people"].forms[0].errors["personal_number"]
    assert errors == [REGISTERED]
    _assert_told(
        response.content.decode(), visible=visible, which=which, case=getattr(cases, which)
    )


# The case whose person each role edits: one they may change.
OWN = {"caseworker": "a", "caseworker2": "b", "guide": "g", "coordinator": "b"}


@pytest.mark.parametrize(("role", "which", "visible"), MATRIX)
def test_person_edit_to_a_registered_number(client, org, cases, role, which, visible):
    own_case = getattr(cases, OWN[role])
    # The clash must be with someone else: in their own case, a second adult is edited.
    same = OWN[role] == which
    person = _second_adult(org, own_case) if same else own_case.household.head
    _login_en(client, org.users[role])
    response = client.post(
        reverse("cases:person_edit", args=[own_case.pk, person.pk]),
        {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "personal_number": NUMBERS[which],
            "protected_identity": "none",
            "version": person.version,
        },
    )
    person.refresh_from_db()
    assert person.version == 1 and person.personal_number != NUMBERS[which]
    if not visible:
        # Answered as a change that was saved (issue 16, point 4).
        assert response.status_code == 302
        assert response["Location"] == reverse("cases:registration_received")
        return
    assert response.status_code == 200
    assert response.context["form"].errors["personal_number"] == [REGISTERED]
    _assert_told(
        response.content.decode(), visible=visible, which=which, case=getattr(cases, which)
    )


def _second_adult(org, case) -> Person:
    from bokvar.history import attribute

    person = Person(household=case.household, given_name="Andra", family_name="Vuxen")
    attribute(person, user=org.users["coordinator"], reason="test").save()
    return person


def test_granting_the_protected_person_makes_the_clash_plain(client, org, cases):
    """The same caseworker is told clearly once granted Petra: visibility decides."""
    from cases.core.services.access import grant_protected_person

    caseworker = org.users["caseworker"]
    grant_protected_person(
        actor=org.users["coordinator"],
        case_id=cases.p.pk,
        person_id=cases.p.household.head_id,
        user=caseworker,
    )
    _login_en(client, caseworker)
    response = client.post(
        reverse("cases:create"),
        create_payload(
            org,
            responsible_unit=org.units[Unit.Kind.ADULT].pk,
            **{"people-0-personal_number": NUMBERS["p"]},
        ),
    )
    _assert_told(response.content.decode(), visible=True, which="p", case=cases.p)
