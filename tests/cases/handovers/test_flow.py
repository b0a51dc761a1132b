"""A full transfer and a full consultation, with who may do what before, during and
after (including after the sending unit's read access has run out)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from bokvar.models import Unit
from cases.core.selectors.cases import can_write_case, get_case_for_user, visible_cases
from cases.handovers import selectors
from cases.handovers.services.access import revoke_expired_access
from cases.handovers.services.deciding import (
    HandoverConflict,
    accept_handover,
    acknowledge_return,
    close_consultation,
    return_handover,
)
from cases.models import Case, Handover, HandoverReadAccess

from .conftest import send

pytestmark = pytest.mark.django_db


def sees(user, case) -> bool:
    return visible_cases(user).filter(pk=case.pk).exists()


def test_full_transfer(cases, org, login, caseworker, caseworker2, guide):
    a = cases.a
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    # Before: income support knows nothing of case A.
    assert not sees(caseworker2, a)
    assert can_write_case(caseworker, a)

    handover = send(a, actor=caseworker, to_unit=income)
    again = send(a, actor=caseworker, to_unit=income)
    assert again.pk == handover.pk
    assert Handover.objects.filter(case=a).count() == 1

    # During: the receiver sees a summary, not the record; the sender cannot accept.
    client = login(caseworker2)
    assert client.get(f"/cases/{a.pk}/").status_code == 404
    page = client.get(f"/cases/handovers/{handover.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Behöver försörjningsstöd" in text
    assert "Astrid" not in text and "19800101" not in text and "Adultsson" not in text
    this_year = timezone.localdate().year
    assert f"{this_year - 2015}, {this_year - 2019}" in text
    handover.refresh_from_db()
    assert handover.seen_by == caseworker2 and handover.seen_at is not None
    with pytest.raises(PermissionDenied):
        accept_handover(actor=caseworker, handover_id=handover.pk)
    with pytest.raises(Http404):
        accept_handover(actor=guide, handover_id=handover.pk)
    assert selectors.inbox_count(type("R", (), {"user": caseworker2})()) == 1

    accepted_at = timezone.now()
    accept_handover(actor=caseworker2, handover_id=handover.pk, now=accepted_at)

    # After: responsibility and write access moved; the sender only reads.
    a.refresh_from_db()
    assert a.responsible_unit == income
    latest = a.history.first()
    assert latest.history_user == caseworker2
    assert latest.history_change_reason == "responsibility moved by handover"
    assert can_write_case(caseworker2, a)
    assert sees(caseworker, a) and not can_write_case(caseworker, a)
    with pytest.raises(PermissionDenied):
        get_case_for_user(caseworker, a.pk, write=True)
    assert login(caseworker2).get(f"/cases/{a.pk}/").status_code == 200
    handover.refresh_from_db()
    assert (handover.status, handover.accepted_by) == ("accepted", caseworker2)
    assert [h.status for h in handover.history.order_by("history_date")] == [
        "pending",
        "pending",
        "accepted",
    ]

    # The read access ends with its period, once, and the case keeps its unit.
    access = HandoverReadAccess.objects.get(case=a)
    assert access.expires_at == accepted_at + timedelta(days=30)
    assert revoke_expired_access(now=accepted_at + timedelta(days=29)) == 0
    assert sees(caseworker, a)
    assert revoke_expired_access(now=accepted_at + timedelta(days=31)) == 1
    assert revoke_expired_access(now=accepted_at + timedelta(days=32)) == 0
    assert not sees(caseworker, a)
    assert login(caseworker).get(f"/cases/{a.pk}/").status_code == 404
    assert sees(caseworker2, a) and can_write_case(caseworker2, a)


def test_read_access_period_is_configurable(settings, transfer, caseworker2):
    settings.BOKVAR = {**settings.BOKVAR, "HANDOVER_READ_ACCESS_DAYS": 5}
    now = timezone.now()
    accept_handover(actor=caseworker2, handover_id=transfer.pk, now=now)
    assert HandoverReadAccess.objects.get().expires_at == now + timedelta(days=5)


def test_full_consultation(cases, org, login, caseworker, caseworker2):
    a = cases.a
    adult = org.units[Unit.Kind.ADULT]
    handover = send(
        a,
        actor=caseworker,
        kind=Handover.Kind.CONSULTATION,
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
    )
    assert not sees(caseworker2, a)
    assert login(caseworker2).get(f"/cases/{a.pk}/").status_code == 404

    accept_handover(actor=caseworker2, handover_id=handover.pk)
    a.refresh_from_db()
    assert a.responsible_unit == adult  # responsibility stays
    assert sees(caseworker2, a) and not can_write_case(caseworker2, a)
    assert can_write_case(caseworker, a)
    assert login(caseworker2).get(f"/cases/{a.pk}/").status_code == 200

    # A consulted unit may ask to take the case over.
    request = send(
        a,
        actor=caseworker2,
        kind=Handover.Kind.TRANSFER_REQUEST,
        from_unit=org.units[Unit.Kind.INCOME_SUPPORT],
    )
    assert request.to_unit == adult
    return_handover(actor=caseworker, handover_id=request.pk, reason="Vi behåller ärendet")
    a.refresh_from_db()
    assert a.responsible_unit == adult
    assert request in selectors.inbox(caseworker2)

    close_consultation(actor=caseworker, handover_id=handover.pk)
    assert not sees(caseworker2, a)
    assert login(caseworker2).get(f"/cases/{a.pk}/").status_code == 404
    handover.refresh_from_db()
    assert handover.status == Handover.Status.CLOSED and handover.closed_by == caseworker


def test_transfer_request_moves_case_to_the_asking_unit(
    cases, org, caseworker, caseworker2, coordinator
):
    a = cases.a
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    consult = send(a, actor=coordinator, kind=Handover.Kind.CONSULTATION, to_unit=income)
    accept_handover(actor=caseworker2, handover_id=consult.pk)
    request = send(a, actor=caseworker2, kind=Handover.Kind.TRANSFER_REQUEST, from_unit=income)
    with pytest.raises(PermissionDenied):
        accept_handover(actor=caseworker2, handover_id=request.pk)
    accept_handover(actor=caseworker, handover_id=request.pk)
    a.refresh_from_db()
    assert a.responsible_unit == income
    assert can_write_case(caseworker2, a) and not can_write_case(caseworker, a)
    # Still consulted: closing the consultation (by the unit that asked, the adult
    # unit's lead) keeps what responsibility gives.
    close_consultation(actor=caseworker, handover_id=consult.pk)
    assert can_write_case(caseworker2, a)


def test_returned_handover_goes_back_to_the_sender(transfer, caseworker, caseworker2, login):
    with pytest.raises(Exception):  # noqa: B017 - the reason is required
        return_handover(actor=caseworker2, handover_id=transfer.pk, reason=" ")
    return_handover(actor=caseworker2, handover_id=transfer.pk, reason="Fel enhet")
    transfer.refresh_from_db()
    assert transfer.case.responsible_unit.kind == Unit.Kind.ADULT
    assert list(selectors.inbox(caseworker)) == [transfer]
    assert list(selectors.inbox(caseworker2)) == []
    assert transfer.case.number in login(caseworker).get("/cases/handovers/").content.decode()
    acknowledge_return(actor=caseworker, handover_id=transfer.pk)
    assert list(selectors.inbox(caseworker)) == []
    # A new handover to the same unit is possible once the first is decided.
    assert send(transfer.case, actor=caseworker, to_unit=transfer.to_unit).pk != transfer.pk


def test_sending_needs_the_responsible_unit_and_a_reason(cases, org, caseworker2, guide):
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    with pytest.raises(Http404):
        send(cases.a, actor=caseworker2, to_unit=income)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        send(cases.a, actor=org.users["caseworker"], to_unit=income, reason="")
    assert "reason" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        send(cases.a, actor=org.users["caseworker"], to_unit=org.units[Unit.Kind.ADULT])
    assert "to_unit" in exc.value.message_dict
    assert Handover.objects.count() == 0


def test_closed_case_cannot_be_handed_over(cases, org, caseworker):
    Case.objects.filter(pk=cases.a.pk).update(
        status="closed", outcome="other", closed_on=timezone.localdate()
    )
    with pytest.raises(PermissionDenied):
        send(cases.a, actor=caseworker, to_unit=org.units[Unit.Kind.INCOME_SUPPORT])


def test_unit_lead_acts_for_the_unit(cases, org, caseworker, guide):
    from bokvar import services as org_services
    from bokvar.models import Role

    team = org.units[Unit.Kind.HOUSING_TEAM]
    handover = send(cases.a, actor=caseworker, to_unit=team)
    # A guide is no decider of the unit (nor knows of its handovers)...
    with pytest.raises(Http404):
        accept_handover(actor=guide, handover_id=handover.pk)
    # ...unless they lead it.
    org_services.add_membership(user=guide, unit=team, role=Role.GUIDE, is_lead=True)
    guide = type(guide).objects.get(pk=guide.pk)  # roles are cached per user object
    accept_handover(actor=guide, handover_id=handover.pk)
    assert Case.objects.get(pk=cases.a.pk).responsible_unit == team


def test_revocation_is_in_the_history_as_the_system(transfer, caseworker2):
    from bokvar.history import SYSTEM_USERNAME

    now = timezone.now()
    accept_handover(actor=caseworker2, handover_id=transfer.pk, now=now)
    revoke_expired_access(now=now + timedelta(days=31))
    record = HandoverReadAccess.objects.get().history.first()
    assert record.history_user.username == SYSTEM_USERNAME
    assert record.history_change_reason == "read access period ended"


def test_accepting_one_transfer_returns_the_others(
    cases, org, caseworker, caseworker2, coordinator
):
    """Two units asked to take the same case: the first to accept gets it, the other
    handover goes back to the sender's inbox with the reason, and cannot be accepted."""
    a = cases.a
    income, team = org.units[Unit.Kind.INCOME_SUPPORT], org.units[Unit.Kind.HOUSING_TEAM]
    to_income = send(a, actor=caseworker, to_unit=income)
    to_team = send(a, actor=caseworker, to_unit=team)
    accept_handover(actor=coordinator, handover_id=to_team.pk)

    to_income.refresh_from_db()
    assert to_income.status == Handover.Status.RETURNED
    assert team.name in to_income.return_reason
    assert to_income.history.first().history_user == coordinator
    with pytest.raises(HandoverConflict):
        accept_handover(actor=caseworker2, handover_id=to_income.pk)
    a.refresh_from_db()
    assert a.responsible_unit == team
    assert not can_write_case(caseworker2, a)
    # It is back in the sending unit's inbox, not lost.
    assert selectors.inbox(caseworker).filter(pk=to_income.pk).exists()


def test_a_transfer_of_a_case_that_moved_cannot_be_accepted(cases, org, caseworker, caseworker2):
    from django.core.exceptions import ValidationError

    a = cases.a
    income, team = org.units[Unit.Kind.INCOME_SUPPORT], org.units[Unit.Kind.HOUSING_TEAM]
    handover = send(a, actor=caseworker, to_unit=income)
    # The case moved by another way meanwhile (say an administrator's correction).
    Case.objects.filter(pk=a.pk).update(responsible_unit=team)
    with pytest.raises(ValidationError) as raised:
        accept_handover(actor=caseworker2, handover_id=handover.pk)
    assert "case" in raised.value.message_dict
    handover.refresh_from_db()
    assert handover.status == Handover.Status.PENDING
    assert Case.objects.get(pk=a.pk).responsible_unit == team
    assert not can_write_case(caseworker2, a)
