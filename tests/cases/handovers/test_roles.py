"""Issue 21, point 4: who may do what with a handover, role by role, on the web and in
the API.

Case G belongs to the housing team and is assigned to `guide`. Its handovers go from the
housing team to income support, sent by a housing-team caseworker who is not the lead.
- the receiving unit's caseworkers and lead decide (accept, return);
- the sending unit's coordinator or lead closes a consultation and marks a returned
  handover read (not the other staff of the sending unit, not the receiving unit);
- a guide sees the handovers of the cases she is assigned to, and decides, closes and
  acknowledges none; a guide of the same unit without the case does not know of them.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from bokvar import services as org_services
from bokvar.models import Role, Unit, User
from cases.handovers.services import deciding
from cases.models import Handover
from tests.factories import UserFactory
from tests.shared_data import SHARED, load_organisation, register_layer

from .conftest import make_income_colleague, send

pytestmark = pytest.mark.django_db

OK, FORBIDDEN, UNKNOWN = "ok", 403, 404

# role -> view, accept, return, close, acknowledge
MATRIX: dict[str, tuple[object, object, object, object, object]] = {
    # The sending unit (the housing team).
    "sender": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "sending_lead": (OK, FORBIDDEN, FORBIDDEN, OK, OK),
    "assigned_guide": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "unassigned_guide": (UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN),
    # The receiving unit (income support).
    "receiving_lead": (OK, OK, OK, FORBIDDEN, FORBIDDEN),
    "receiving_caseworker": (OK, OK, OK, FORBIDDEN, FORBIDDEN),
    # Neither unit.
    "other_unit_lead": (UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN),
    "steering": (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "auditor": (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
    "admin": (FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN),
}
ACTIONS = ("view", "accept", "return", "close", "acknowledge")
TABLE = [
    pytest.param(role, action, MATRIX[role][i], id=f"{role}-{action}")
    for role in MATRIX
    for i, action in enumerate(ACTIONS)
]


def _make_people(units):
    """The three staff of the table who are not in the demo organisation."""
    housing = units[Unit.Kind.HOUSING_TEAM]
    colleague = make_income_colleague(units[Unit.Kind.INCOME_SUPPORT])
    sender = UserFactory(username="housingcw", first_name="Hugo", last_name="Husson")
    org_services.add_membership(user=sender, unit=housing, role=Role.CASEWORKER)
    unassigned = UserFactory(username="guide2", first_name="Gun", last_name="Guidsdotter")
    org_services.add_membership(user=unassigned, unit=housing, role=Role.GUIDE)
    return {"receiving_caseworker": colleague, "sender": sender, "unassigned_guide": unassigned}


@register_layer("handover_roles_people", after="cases")
def _build_people_layer() -> dict[str, int]:
    _district, units, _users = load_organisation()
    return {key: user.pk for key, user in _make_people(units).items()}


@pytest.fixture
def handover_roles_people(org, cases) -> dict[str, User]:
    """Built once for the consecutive tests of this module (a layer, tests/shared_data.py;
    each test's writes, its handover among them, are still rolled back), else here. The
    layer's name is this module's alone, so no other module's fixture picks it up."""
    pks = SHARED.layer_data("handover_roles_people")
    if pks is None:
        return _make_people(org.units)
    by_pk = User.objects.in_bulk(pks.values())
    return {key: by_pk[pk] for key, pk in pks.items()}


@pytest.fixture
def people(org, cases, handover_roles_people):
    return {
        "sender": handover_roles_people["sender"],
        "sending_lead": org.users["coordinator"],
        "assigned_guide": org.users["guide"],
        "unassigned_guide": handover_roles_people["unassigned_guide"],
        "receiving_lead": org.users["caseworker2"],
        "receiving_caseworker": handover_roles_people["receiving_caseworker"],
        "other_unit_lead": org.users["caseworker"],
        "steering": org.users["steering"],
        "auditor": org.users["auditor"],
        "admin": org.users["admin"],
    }


def _handover(action: str, cases, org, people) -> Handover:
    """A pending transfer (view, accept, return), an accepted consultation (close) or a
    returned transfer (acknowledge) of case G."""
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    receiver = people["receiving_lead"]
    if action == "close":
        handover = send(
            cases.g, actor=people["sender"], kind=Handover.Kind.CONSULTATION, to_unit=income
        )
        deciding.accept_handover(actor=receiver, handover_id=handover.pk)
    else:
        handover = send(cases.g, actor=people["sender"], to_unit=income)
        if action == "acknowledge":
            deciding.return_handover(actor=receiver, handover_id=handover.pk, reason="Fel enhet")
    handover.refresh_from_db()
    return handover


def _web(client, action: str, handover: Handover, taker) -> int:
    base = f"/cases/handovers/{handover.pk}/"
    if action == "view":
        return client.get(base).status_code
    data = {
        "accept": {"taken_by": taker.pk},
        "return": {"reason": "Inte vår målgrupp"},
    }.get(action, {})
    return client.post(f"{base}{action}/", data).status_code


def _api(client, action: str, handover: Handover, taker) -> int:
    base = f"/api/v1/handovers/{handover.pk}/"
    if action == "view":
        return client.get(base).status_code
    data = {"accept": {"taken_by": taker.pk}, "return": {"reason": "Inte vår målgrupp"}}.get(
        action, {}
    )
    return client.post(f"{base}{action}/", data, format="json").status_code


def _done(action: str, handover: Handover) -> bool:
    handover.refresh_from_db()
    return {
        "view": True,
        "accept": handover.status == Handover.Status.ACCEPTED,
        "return": handover.status == Handover.Status.RETURNED
        and handover.return_acknowledged_at is None,
        "close": handover.status == Handover.Status.CLOSED,
        "acknowledge": handover.return_acknowledged_at is not None,
    }[action]


@pytest.mark.parametrize("role,action,expected", TABLE)
def test_web(login, org, cases, people, role, action, expected):
    handover = _handover(action, cases, org, people)
    status = _web(login(people[role]), action, handover, people["receiving_caseworker"])
    if expected == OK:
        assert status in (200, 302), status
        assert _done(action, handover)
    else:
        assert status == expected
        if action != "view":
            assert not _done(action, handover)


@pytest.mark.parametrize("role,action,expected", TABLE)
def test_api(org, cases, people, role, action, expected):
    handover = _handover(action, cases, org, people)
    client = APIClient()
    client.force_login(people[role], backend="django.contrib.auth.backends.ModelBackend")
    status = _api(client, action, handover, people["receiving_caseworker"])
    if expected == OK:
        assert status == 200, status
        assert _done(action, handover)
    else:
        assert status == expected
        if action != "view":
            assert not _done(action, handover)


LISTED = {
    "sender": True,
    "sending_lead": True,
    "assigned_guide": True,
    "unassigned_guide": False,
    "receiving_lead": True,
    "receiving_caseworker": True,
    "other_unit_lead": False,
}


@pytest.mark.parametrize("role", LISTED)
def test_lists(org, cases, people, role, login):
    """The API list and the inbox show a handover only to those who may know of it;
    a returned handover waits in the inbox of those who may mark it read."""
    pending = _handover("view", cases, org, people)
    client = APIClient()
    client.force_login(people[role], backend="django.contrib.auth.backends.ModelBackend")
    listed = {row["id"] for row in client.get("/api/v1/handovers/").json()["results"]}
    assert (pending.pk in listed) == LISTED[role]
    deciding.return_handover(
        actor=people["receiving_lead"], handover_id=pending.pk, reason="Fel enhet"
    )
    returned = pending
    page = login(people[role]).get("/cases/handovers/").content.decode()
    in_inbox = f"/cases/handovers/{returned.pk}/" in page
    assert in_inbox == (MATRIX[role][4] == OK)
