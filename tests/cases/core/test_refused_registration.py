"""A number that cannot be registered because its holder is out of the user's sight
(issue 16, point 4): the user is answered as for a registration that was made (see
tests/cases/evictions/test_no_existence_oracle.py), and the matter goes as a
registration request to someone who may see the holder: for a protected person only
those granted them, otherwise the district's coordinators."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bokvar.models import Notification, Role, Unit
from cases.models import Person
from tests.factories import UserFactory, member

from .test_case_flow import create_payload

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _try(client, org, user, number):
    client.force_login(user, backend=BACKEND)
    return client.post(
        reverse("cases:create"),
        create_payload(
            org,
            responsible_unit=org.units[Unit.Kind.INCOME_SUPPORT].pk,
            assignees=[user.pk],
            **{"people-0-personal_number": number},
        ),
    )


@pytest.mark.parametrize(
    ("number", "protected"), [("19900303-5624", True), ("19800101-2387", False)]
)
def test_the_refusal_is_routed_to_someone_who_may_see_the_holder(
    client, org, cases, number, protected
):
    coordinator2 = member(
        UserFactory(username="coordinator2"), org.units[Unit.Kind.HOUSING_TEAM], Role.COORDINATOR
    )
    actor = org.users["caseworker2"]
    people_before = Person.objects.count()
    response = _try(client, org, actor, number)
    assert response.status_code == 302  # as for a number nobody holds
    assert Person.objects.count() == people_before  # no second person, ever
    routed = Notification.objects.filter(kind="registration_refused")
    expected = {org.users["coordinator"]} if protected else {org.users["coordinator"], coordinator2}
    assert {n.recipient for n in routed} == expected
    note = routed.first()
    assert actor.get_full_name() in note.body
    assert "Petra" not in note.subject + note.body and number not in note.body


def test_a_visible_clash_routes_nothing(client, org, cases):
    _try(client, org, org.users["caseworker"], "19800101-2387")  # caseworker sees Astrid
    assert not Notification.objects.filter(kind="registration_refused").exists()
