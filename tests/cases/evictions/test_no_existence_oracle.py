"""No existence oracle (issue 16, point 4): registering a new case, searching, opening a
case from a signal and the shelter-night API answer a user alike whether an identity
number is unknown, held by someone out of their sight, or held by a protected person
they were not granted. The answers are compared byte for byte (after the per-request
CSRF token and CSP nonce are blanked), each from the same starting state (every try is
rolled back), and the matter is routed to someone who may see the holder.

On the code before this change, registering answered 302 to the new case's page for an
unknown number and 200 with "Det här personnumret kan inte registreras här" for a held
one; opening a case from a signal answered 302 to the new case's page for an unknown
number and 302 to the triage queue with "Signalen skickades vidare" for a held one."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.urls import reverse

from bokvar import services as org_services
from bokvar.models import District, Notification, Role, Unit
from cases.core.services.cases import create_case
from cases.core.services.people import PersonData
from cases.evictions.services.landlord_signals import SignalInput, receive_signal
from cases.models import Case, Person
from tests.case_fixtures import search_cases
from tests.factories import UserFactory

from ..core.test_case_flow import create_payload
from .conftest import valid_pn

pytestmark = pytest.mark.django_db

UNKNOWN = valid_pn(1961, 2, 3, 123)
ASTRID = "19800101-2387"  # cases.a: adult unit, out of caseworker2's sight
PETRA = "19900303-5624"  # cases.p: protected, granted to the coordinator only
SOUTH = valid_pn(1972, 3, 4, 238)  # held by a case of another district

VARYING = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
    (re.compile(r"search=[A-Za-z0-9_\-]+"), "search=TOKEN"),  # the search's opaque token
]


def _blank(text: str) -> str:
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    return text


def _answer(client, url: str, data, **kw) -> tuple:
    """What the user gets for one try, followed to the end, from the same state each
    time: the try is rolled back once its answer is read. Also returns whom the try
    notified, read before the rollback."""
    with transaction.atomic():
        response = client.post(url, data, follow=True, **kw)
        answer = (
            [(_blank(to), status) for to, status in response.redirect_chain],
            response.status_code,
            _blank(response.content.decode()),
        )
        routed = sorted(
            (n.kind, n.recipient.username) for n in Notification.objects.select_related("recipient")
        )
        transaction.set_rollback(True)
    return answer, routed


def _case_kw(org, user, unit: Unit.Kind) -> dict:
    return {"responsible_unit": org.units[unit].pk, "assignees": [user.pk]}


def test_registering_a_held_number_answers_as_a_new_one(client, login, org, cases):
    actor = org.users["caseworker2"]  # income support: sees neither Astrid nor Petra
    login(actor)
    answers = {}
    for name, number in {"unknown": UNKNOWN, "astrid": ASTRID, "petra": PETRA}.items():
        payload = create_payload(
            org,
            **_case_kw(org, actor, Unit.Kind.INCOME_SUPPORT),
            **{"people-0-personal_number": number},
        )
        answers[name] = _answer(client, reverse("cases:create"), payload)
    unknown, astrid, petra = (answers[k][0] for k in ("unknown", "astrid", "petra"))
    assert unknown[0] == [(reverse("cases:registration_received"), 302)]
    assert unknown == astrid == petra
    assert "Registreringen är mottagen." in unknown[2]
    # The held numbers became registration requests for those who may see the holder.
    assert answers["unknown"][1] == []
    coordinator = org.users["coordinator"].username
    assert answers["astrid"][1] == [("registration_refused", coordinator)]
    assert answers["petra"][1] == [("registration_refused", coordinator)]


def test_changing_a_persons_number_to_a_held_one_answers_as_to_a_new_one(client, login, org, cases):
    actor = org.users["caseworker2"]  # case B is theirs; Astrid and Petra out of sight
    login(actor)
    person = cases.b.household.head
    url = reverse("cases:person_edit", args=[cases.b.pk, person.pk])
    answers = {}
    for name, number in {"unknown": UNKNOWN, "astrid": ASTRID, "petra": PETRA}.items():
        body = {
            "given_name": person.given_name,
            "family_name": person.family_name,
            "personal_number": number,
            "protected_identity": "none",
            "version": person.version,
        }
        answers[name] = _answer(client, url, body)
    unknown, astrid, petra = (answers[k][0] for k in ("unknown", "astrid", "petra"))
    assert unknown[0] == [(reverse("cases:registration_received"), 302)]
    assert unknown == astrid == petra
    coordinator = org.users["coordinator"].username
    assert answers["unknown"][1] == []
    assert answers["astrid"][1] == [("registration_refused", coordinator)]
    assert answers["petra"][1] == [("registration_refused", coordinator)]
    person.refresh_from_db()
    assert person.version == 1  # every try was rolled back; a held number is never saved


def test_an_error_elsewhere_in_the_form_is_reported_alike(client, login, org, cases):
    """A held number must not hide (or cause) another error: both forms are refused
    with the same page, naming the child's birth year only."""
    actor = org.users["caseworker2"]
    login(actor)
    pages = []
    for number in (UNKNOWN, PETRA):
        payload = create_payload(
            org,
            **_case_kw(org, actor, Unit.Kind.INCOME_SUPPORT),
            **{"people-0-personal_number": number, "children-0-birth_year": "1850"},
        )
        (chain, status, body), routed = _answer(client, reverse("cases:create"), payload)
        assert (chain, status, routed) == ([], 200, [])
        pages.append(body.replace(number, "NUMBER").replace(number.replace("-", ""), "NUMBER"))
    assert pages[0] == pages[1]
    assert "1900" in pages[0]  # the birth-year rule is what the user is told


def test_a_visible_holder_is_still_named(client, login, org, cases):
    login(org.users["coordinator"])
    payload = create_payload(org, **{"people-0-personal_number": ASTRID})
    (chain, status, body), _routed = _answer(client, reverse("cases:create"), payload)
    assert (chain, status) == ([], 200)
    assert "redan registrerad" in body and cases.a.number in body


@pytest.mark.parametrize("role", ["caseworker2", "caseworker"])
def test_searching_a_held_number_finds_what_an_unknown_one_finds(client, login, org, cases, role):
    # caseworker sees case P but was not granted Petra; caseworker2 sees neither.
    login(org.users[role])
    tries = [UNKNOWN, PETRA] if role == "caseworker" else [UNKNOWN, ASTRID, PETRA]
    answers = [_answer(client, reverse("cases:list"), {"q": number})[0] for number in tries]
    pages = [
        (chain, status, body.replace(n, "Q"))
        for (chain, status, body), n in zip(answers, tries, strict=True)
    ]
    assert all(page == pages[0] for page in pages)
    assert cases.p.number not in pages[0][2]
    if role == "caseworker":
        # The case itself is found by what the caseworker may see of it.
        assert cases.p.number in search_cases(client, cases.p.number).content.decode()


@pytest.fixture
def south(org):
    district = District.objects.create(name="Södermalm", code="sodermalm")
    team = org_services.create_unit(
        district=district, name="Bo Kvar Söder", kind=Unit.Kind.HOUSING_TEAM
    )
    coordinator = UserFactory(username="coordinator_south", first_name="Sonja")
    org_services.add_membership(user=coordinator, unit=team, role=Role.COORDINATOR)
    create_case(
        actor=coordinator,
        kind=Case.Kind.EVICTION_PREVENTION,
        responsible_unit=team,
        assignees=[coordinator],
        people=[PersonData(given_name="Sune", family_name="Södersson", personal_number=SOUTH)],
        children_birth_years=[],
    )
    return SimpleNamespace(coordinator=coordinator)


def test_opening_a_case_from_a_signal_answers_alike(client, login, org, cases, landlord, south):
    other = UserFactory(username="coordinator_b")  # same district, not granted Petra
    org_services.add_membership(user=other, unit=org.units["housing_team"], role=Role.COORDINATOR)
    login(other)
    people_before = Person.objects.count()
    tries = {"unknown": UNKNOWN, "south": SOUTH, "petra": PETRA}
    # One signal per try, all waiting before the first: the queue's badge is on every page.
    signals = [
        receive_signal(
            landlord=landlord,
            data=SignalInput(
                kind="rent_arrears", received_on=cases.a.opened_on, channel="api", name=""
            ),
        )
        for _ in tries
    ]
    answers = {}
    for (name, number), signal in zip(tries.items(), signals, strict=True):
        body = {
            "given_name": "Tove",
            "family_name": "Hyresgästsson",
            "personal_number": number,
            "responsible_unit": org.units["housing_team"].pk,
            "assignees": [other.pk],
            "version": signal.version,
        }
        url = reverse("cases:signal_open_case", args=[signal.pk])
        answers[name] = _answer(client, url, body)
    unknown, held, petra = (answers[k][0] for k in ("unknown", "south", "petra"))
    assert unknown[0] == [(reverse("cases:registration_received"), 302)]
    assert unknown == held == petra
    assert answers["unknown"][1] == []
    assert ("signal_forwarded", south.coordinator.username) in answers["south"][1]
    assert ("signal_forwarded", org.users["coordinator"].username) in answers["petra"][1]
    assert Person.objects.count() == people_before


def test_shelter_nights_for_a_held_number_answer_as_for_an_unknown_one(client, login, org, cases):
    from datetime import date
    from decimal import Decimal

    from housing.models import Shelter, ShelterNight, ShelterPrice

    shelter = Shelter.objects.create(name="Härbärget Navet", district=org.district)
    ShelterPrice.objects.create(
        shelter=shelter, valid_from=date(2008, 1, 1), price_per_night=Decimal("400")
    )
    login(org.users["guide"])  # the guide sees neither case A nor Petra
    row = {"shelter": "Härbärget Navet", "night": "2026-03-14", "paying_unit": "Vuxenenheten"}
    answers = {
        name: _answer(
            client,
            "/api/v1/shelter-nights/",
            {"nights": [{**row, "personal_number": number}]},
            content_type="application/json",
        )
        for name, number in {"unknown": UNKNOWN, "astrid": ASTRID, "petra": PETRA}.items()
    }
    unknown, astrid, petra = (answers[k][0] for k in ("unknown", "astrid", "petra"))
    assert unknown[1] == 400 and unknown == astrid == petra
    assert "ingen person som du får registrera nätter för" in unknown[2]
    coordinator = org.users["coordinator"].username
    assert answers["unknown"][1] == []
    assert answers["astrid"][1] == [("nights_refused", coordinator)]
    assert answers["petra"][1] == [("nights_refused", coordinator)]
    assert ShelterNight.objects.count() == 0
