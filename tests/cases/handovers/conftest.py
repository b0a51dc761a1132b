"""Fixtures for handovers: case A (adult unit, assigned to `caseworker`) and a second
income-support caseworker who may decide alongside `caseworker2`."""

from __future__ import annotations

import pytest

from bokvar import services as org_services
from bokvar.models import Role, Unit
from cases.handovers.services import sending as services
from cases.models import Handover
from tests.factories import UserFactory


def make_income_colleague(income_support):
    user = UserFactory(username="income2", first_name="Ida", last_name="Inkomstsson")
    org_services.add_membership(user=user, unit=income_support, role=Role.CASEWORKER)
    return user


@pytest.fixture
def income_colleague(org):
    return make_income_colleague(org.units[Unit.Kind.INCOME_SUPPORT])


def send(case, *, actor, kind=Handover.Kind.TRANSFER, to_unit=None, from_unit=None, **kwargs):
    handover, _created = services.send_handover(
        actor=actor,
        case_id=case.pk,
        kind=kind,
        to_unit=to_unit,
        from_unit=from_unit,
        reason=kwargs.pop("reason", "Behöver försörjningsstöd"),
        expectations=kwargs.pop("expectations", "Utred rätten till bistånd"),
        **kwargs,
    )
    return handover


@pytest.fixture
def transfer(cases, org):
    """A pending transfer of case A from the adult unit to income support."""
    return send(cases.a, actor=org.users["caseworker"], to_unit=org.units[Unit.Kind.INCOME_SUPPORT])


@pytest.fixture
def consultation(cases, org):
    return send(
        cases.a,
        actor=org.users["caseworker"],
        kind=Handover.Kind.CONSULTATION,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
    )
