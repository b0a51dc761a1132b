"""Handovers of a household with a protected member (issue 16, point 3): the receiving
unit gets no free text until a grant is given; the grant is part of accepting (when the
sender, granted, chose so), is logged, and the sending unit's lead can take it back."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from bokvar.models import Unit
from cases.core.selectors.people import may_see_person
from cases.handovers.services import deciding, sending
from cases.models import PersonUserObjectPermission, ProtectedIdentity
from tests.case_fixtures import person

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _protected_case(make_case, assignees):
    return make_case(
        assignees=assignees,
        people=[
            person(
                "Greta",
                "Gömd",
                "19700707-1009",
                address="Okändvägen 1",
                protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
            )
        ],
    )


def _send(org, case, *, grants):
    handover, _ = sending.send_handover(
        actor=org.users["caseworker"],
        case_id=case.pk,
        kind="consultation",
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        reason="Hemlig anledning",
        grants_protected=grants,
    )
    return handover


def test_the_grant_is_given_on_accepting_and_taken_back_by_the_senders_lead(client, org, make_case):
    case = _protected_case(make_case, ["caseworker"])
    protected = case.household.head
    receiver = org.users["caseworker2"]
    handover = _send(org, case, grants=True)
    client.force_login(receiver, backend=BACKEND)
    page = client.get(reverse("cases:handover", args=[handover.pk])).content.decode()
    assert "Hemlig anledning" not in page and not may_see_person(receiver, protected)
    deciding.accept_handover(actor=receiver, handover_id=handover.pk)
    assert may_see_person(receiver, protected)
    grant = PersonUserObjectPermission.history.filter(user=receiver).get()
    assert grant.history_change_reason == "protected person granted on accepting a handover"
    page = client.get(reverse("cases:handover", args=[handover.pk])).content.decode()
    assert "Hemlig anledning" in page
    # The receiver may not take it back; the sending unit's lead (the caseworker) may.
    with pytest.raises(ValidationError):
        deciding.revoke_protected_grant(actor=receiver, handover_id=handover.pk)
    client.force_login(org.users["caseworker"], backend=BACKEND)
    detail = client.get(reverse("cases:handover", args=[handover.pk])).content.decode()
    assert reverse("cases:handover_revoke_grant", args=[handover.pk]) in detail
    client.post(reverse("cases:handover_revoke_grant", args=[handover.pk]))
    assert not may_see_person(receiver, protected)
    taken_back = PersonUserObjectPermission.history.filter(user=receiver, history_type="-").get()
    assert taken_back.history_user == org.users["caseworker"]


def test_without_the_senders_choice_accepting_grants_nothing(org, make_case):
    case = _protected_case(make_case, ["caseworker"])
    receiver = org.users["caseworker2"]
    handover = _send(org, case, grants=False)
    deciding.accept_handover(actor=receiver, handover_id=handover.pk)
    assert not may_see_person(receiver, case.household.head)


def test_only_someone_granted_may_offer_the_grant(client, org, make_case):
    # Opened by the coordinator with nobody assigned: the caseworker is not granted.
    case = _protected_case(make_case, [])
    with pytest.raises(ValidationError) as refused:
        _send(org, case, grants=True)
    assert "grants_protected" in refused.value.message_dict
    client.force_login(org.users["caseworker"], backend=BACKEND)
    form = client.get(reverse("cases:handover_send", args=[case.pk])).content.decode()
    assert 'name="grants_protected"' not in form
