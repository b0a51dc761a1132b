"""Triage: link, open a case, dismiss; repeat signals; time to first contact; HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases.evictions import selectors
from cases.evictions.services import contacts
from cases.evictions.services.landlord_signals import SignalInput, receive_signal, register_signal
from cases.evictions.services.triage import dismiss_signal, link_signal
from cases.models import LandlordSignal

from .conftest import TENANT_PN

pytestmark = pytest.mark.django_db


def _signal(landlord, actor, **kw) -> LandlordSignal:
    data = {
        "kind": "rent_arrears",
        "received_on": timezone.localdate(),
        "channel": "phone",
        "personal_number": TENANT_PN,
        "name": "Tove Hyresgästsson",
        **kw,
    }
    return register_signal(actor=actor, landlord=landlord, data=SignalInput(**data))


def test_suggestion_through_blind_index_and_link(org, landlord, make_case, login):
    from tests.case_fixtures import person

    coordinator = org.users["coordinator"]
    case = make_case(people=[person("Tove", "Hyresgästsson", TENANT_PN)])
    signal = _signal(landlord, coordinator)
    assert selectors.suggestions_for(coordinator, signal) == [case]
    # By name alone when the identity number is not known.
    by_name = _signal(landlord, coordinator, personal_number="", kind="neglect")
    assert selectors.suggestions_for(coordinator, by_name) == [case]
    client = login(coordinator)
    page = client.get(reverse("cases:signal", args=[signal.pk])).content.decode()
    assert case.number in page
    response = client.post(
        reverse("cases:signal_link", args=[signal.pk]), {"case": case.pk, "version": 1}
    )
    assert response.status_code == 302
    signal.refresh_from_db()
    assert (signal.status, signal.case) == (LandlordSignal.Status.LINKED, case)
    # A second triage of the same signal is refused.
    with pytest.raises(ValidationError):
        dismiss_signal(
            actor=coordinator, signal_id=signal.pk, expected_version=signal.version, reason="x"
        )


def test_repeat_signal_within_30_days_joins_the_open_case(org, landlord, other_landlord, make_case):
    coordinator = org.users["coordinator"]
    first = _signal(landlord, coordinator, received_on=timezone.localdate() - timedelta(days=20))
    case = make_case()
    link_signal(actor=coordinator, signal_id=first.pk, expected_version=1, case_id=case.pk)
    again = _signal(landlord, coordinator)
    assert (again.status, again.case) == (LandlordSignal.Status.LINKED, case)
    # Another landlord's signal for the same tenant is not a repeat.
    assert _signal(other_landlord, coordinator).status == LandlordSignal.Status.UNTRIAGED
    assert LandlordSignal.objects.filter(case=case).count() == 2


def test_signal_older_than_30_days_is_not_a_repeat(org, landlord, make_case):
    coordinator = org.users["coordinator"]
    first = _signal(landlord, coordinator, received_on=timezone.localdate() - timedelta(days=31))
    case = make_case()
    link_signal(actor=coordinator, signal_id=first.pk, expected_version=1, case_id=case.pk)
    assert _signal(landlord, coordinator).status == LandlordSignal.Status.UNTRIAGED


def test_dismiss_needs_a_reason(org, landlord, login):
    coordinator = org.users["coordinator"]
    signal = _signal(landlord, coordinator)
    client = login(coordinator)
    url = reverse("cases:signal_dismiss", args=[signal.pk])
    response = client.post(url, {"reason": "", "version": 1})
    assert response.status_code == 400
    assert LandlordSignal.objects.get(pk=signal.pk).status == "untriaged"
    assert client.post(url, {"reason": "Fel hyresgäst", "version": 1}).status_code == 302
    signal.refresh_from_db()
    assert signal.status == "dismissed" and signal.dismissal_reason == "Fel hyresgäst"


def test_time_to_first_contact_is_recorded(org, landlord, make_case):
    coordinator = org.users["coordinator"]
    today = timezone.localdate()
    signal = _signal(landlord, coordinator, received_on=today - timedelta(days=5))
    case = make_case()
    link_signal(actor=coordinator, signal_id=signal.pk, expected_version=1, case_id=case.pk)
    # An attempt does not count; reaching the person does.
    contacts.record_contact(
        actor=coordinator, case_id=case.pk, kind="call", on=today - timedelta(days=3), reached=False
    )
    signal.refresh_from_db()
    assert signal.first_contact_days is None
    contacts.record_contact(
        actor=coordinator,
        case_id=case.pk,
        kind="home_visit",
        on=today - timedelta(days=2),
        reached=True,
    )
    signal.refresh_from_db()
    assert signal.first_contact_days == 3


def test_disturbance_records_warning_and_board_notice(org, landlord):
    coordinator = org.users["coordinator"]
    signal = _signal(
        landlord,
        coordinator,
        kind="disturbance",
        landlord_warned_tenant=True,
        landlord_notified_board=False,
    )
    assert (signal.landlord_warned_tenant, signal.landlord_notified_board) == (True, False)
    # For kinds that are not misconduct the questions do not apply.
    other = _signal(landlord, coordinator, kind="rent_arrears", landlord_warned_tenant=True)
    assert other.landlord_warned_tenant is None


def test_only_coordinators_register_and_triage(org, landlord):
    with pytest.raises(PermissionDenied):
        _signal(landlord, org.users["guide"])


def test_manual_signal_over_http(org, landlord, login):
    client = login(org.users["coordinator"])
    response = client.post(
        reverse("cases:signal_new"),
        {
            "landlord": landlord.pk,
            "kind": "missed_payment",
            "channel": "phone",
            "received_on": timezone.localdate().isoformat(),
            "personal_number": "not-a-number",
        },
    )
    assert response.status_code == 200
    assert "personal_number" in response.context["form"].errors
    assert LandlordSignal.objects.count() == 0
    response = client.post(
        reverse("cases:signal_new"),
        {
            "landlord": landlord.pk,
            "kind": "missed_payment",
            "channel": "phone",
            "received_on": timezone.localdate().isoformat(),
            "personal_number": TENANT_PN,
        },
    )
    assert response.status_code == 302
    assert LandlordSignal.objects.get().tenant_personal_number == TENANT_PN


def test_open_case_with_a_known_identity_number_saves_nothing(org, landlord, make_case, login):
    from cases.models import Case
    from tests.case_fixtures import person

    coordinator = org.users["coordinator"]
    make_case(people=[person("Tove", "Hyresgästsson", TENANT_PN)])
    signal = _signal(landlord, coordinator)
    client = login(coordinator)
    response = client.post(
        reverse("cases:signal_open_case", args=[signal.pk]),
        {
            "given_name": "Tove",
            "family_name": "Hyresgästsson",
            "responsible_unit": org.units["housing_team"].pk,
            "version": signal.version,
        },
    )
    assert response.status_code == 400
    assert "personal_number" in response.context["open_form"].errors
    assert Case.objects.count() == 1
    signal.refresh_from_db()
    assert signal.status == LandlordSignal.Status.UNTRIAGED and signal.case is None


def test_stale_version_is_refused(org, landlord, make_case, login):
    coordinator = org.users["coordinator"]
    signal = _signal(landlord, coordinator)
    client = login(coordinator)
    response = client.post(
        reverse("cases:signal_dismiss", args=[signal.pk]), {"reason": "dubblett", "version": 7}
    )
    assert response.status_code == 400
    signal.refresh_from_db()
    assert signal.status == LandlordSignal.Status.UNTRIAGED


@pytest.mark.parametrize(
    ("warned", "notified", "missing"),
    [(False, True, 1), (True, False, 1), (None, None, 2), (True, True, 0)],
)
def test_disturbance_without_warning_or_board_notice_is_flagged(
    org, landlord, login, warned, notified, missing
):
    signal = receive_signal(
        landlord=landlord,
        data=SignalInput(
            kind="disturbance",
            received_on=timezone.localdate(),
            channel="api",
            landlord_warned_tenant=warned,
            landlord_notified_board=notified,
        ),
    )
    assert len(signal.disturbance_steps_missing) == missing
    client = login(org.users["coordinator"])
    queue = client.get(reverse("cases:signals")).content.decode()
    page = client.get(reverse("cases:signal", args=[signal.pk])).content.decode()
    assert (f'id="disturbance-warning-{signal.pk}"' in queue) is bool(missing)
    assert ('id="disturbance-warning"' in page) is bool(missing)


def test_other_kinds_carry_no_disturbance_warning(org, landlord, login):
    signal = receive_signal(
        landlord=landlord,
        data=SignalInput(kind="rent_arrears", received_on=timezone.localdate(), channel="api"),
    )
    assert signal.disturbance_steps_missing == []
    page = login(org.users["coordinator"]).get(reverse("cases:signal", args=[signal.pk]))
    assert 'id="disturbance-warning"' not in page.content.decode()


def test_suggestions_put_open_cases_first_then_the_newest_as_the_query_did(
    org, landlord, make_case
):
    """suggestions_for reads the tenant's cases by the blind index and sorts them itself
    (issue 22: ORDER BY with LIMIT walked every case at national scale); the result is the
    one the former query gave: open cases first, then the newest opened, at most ten."""
    from django.db.models import Exists, OuterRef

    from cases.core.selectors.cases import visible_cases
    from cases.core.selectors.people import persons_visible_q
    from cases.models import Case, Person
    from tests.case_fixtures import person

    coordinator = org.users["coordinator"]
    today = timezone.localdate()
    outcome = Case.Outcome.LEASE_KEPT
    namesakes = [make_case(people=[person("Tove", "Hyresgästsson")]) for _ in range(4)]
    make_case(people=[person("Annan", "Person")])  # not the tenant
    for n, case in enumerate(namesakes):
        closed = {"status": Case.Status.CLOSED, "closed_on": today, "outcome": outcome}
        Case.objects.filter(pk=case.pk).update(
            opened_on=today - timedelta(days=10 * n), **(closed if n in (0, 2) else {})
        )
    signal = _signal(landlord, coordinator, personal_number="", kind="neglect")
    found = selectors.suggestions_for(coordinator, signal)
    assert [c.pk for c in found] == [
        namesakes[1].pk,
        namesakes[3].pk,
        namesakes[0].pk,
        namesakes[2].pk,
    ]
    people = Person.objects.filter(
        household_id=OuterRef("household_id"), name_bidx=signal.tenant_name_bidx
    ).filter(persons_visible_q(coordinator))
    former = list(
        visible_cases(coordinator).filter(Exists(people)).order_by("-status", "-opened_on")[:10]
    )
    assert found == former
