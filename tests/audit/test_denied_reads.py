"""Denied reads are logged and flagged (issue 17, point 6): a 403/404 on a case or a
person that exists is an attempt an auditor should see; one on an id that does not exist
reveals nothing and is not logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit import chain, review
from audit.models import AccessLogEntry

pytestmark = pytest.mark.django_db


def _new_entries(before: int) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.order_by("seq")[before:])


def test_a_hidden_case_is_logged_as_denied_and_flagged(login, cases, caseworker2):
    client = login(caseworker2)  # income support: case A belongs to the adult unit
    before = AccessLogEntry.objects.count()
    response = client.get(reverse("cases:detail", args=[cases.a.pk]))
    assert response.status_code == 404
    entries = _new_entries(before)
    assert [(e.user_id, e.object_type, e.object_id, e.case_id, e.denied) for e in entries] == [
        (caseworker2.pk, "cases.case", cases.a.pk, cases.a.pk, True)
    ]
    assert review.flag(entries)[0].flags == ("denied", "outside_unit")
    flagged = review.entries(review.LogFilters(flagged=True))
    assert entries[0].pk in set(flagged.values_list("pk", flat=True))
    assert chain.verify().ok


def test_a_hidden_person_of_a_visible_case_is_logged_as_denied(login, cases, caseworker2):
    client = login(caseworker2)
    head = cases.b.household.head_id
    other = cases.a.household.head_id  # exists, but not in case B's household
    before = AccessLogEntry.objects.count()
    response = client.get(reverse("cases:person", args=[cases.b.pk, other]))
    assert response.status_code == 404
    entries = _new_entries(before)
    assert [(e.object_type, e.object_id, e.denied) for e in entries] == [
        ("cases.person", other, True)
    ]
    assert head != other


def test_an_id_that_does_not_exist_is_not_logged(login, cases, caseworker2):
    client = login(caseworker2)
    before = AccessLogEntry.objects.count()
    assert client.get(reverse("cases:detail", args=[10**9])).status_code == 404
    assert _new_entries(before) == []


def test_a_missing_record_under_a_visible_case_is_not_a_denied_case(login, cases, caseworker):
    client = login(caseworker)
    before = AccessLogEntry.objects.count()
    # A threat that does not exist, under the caseworker's own (existing) case.
    url = reverse("cases:threat_edit", args=[cases.a.pk, 10**9])
    assert client.get(url).status_code == 404
    assert client.get(reverse("cases:person", args=[cases.a.pk, 10**9])).status_code == 404
    assert _new_entries(before) == []


# --- Every page naming a person or case, not only by case_id/person_id ------------------


def _refused_entries(client, url, before):
    response = client.get(url)
    assert response.status_code in (403, 404), url
    return [(e.object_type, e.case_id, e.denied) for e in _new_entries(before)]


def test_records_under_a_hidden_case_are_denied_reads_of_that_case(login, cases, caseworker2):
    """A threat, the household: the page names a record of case A, which caseworker2
    may not see: the refusal is logged about case A (its head, for the household's page).
    A refused POST is an action, not a read, and is not logged."""
    from cases.models import EvictionThreat, HouseholdChild

    threat = EvictionThreat.objects.create(case=cases.a)
    client = login(caseworker2)
    # Under case B's own URL, naming case A's threat: still about case A.
    url = reverse("cases:threat_edit", args=[cases.b.pk, threat.pk])
    before = AccessLogEntry.objects.count()
    assert _refused_entries(client, url, before) == [("cases.case", cases.a.pk, True)]
    child = HouseholdChild.objects.filter(household_id=cases.a.household_id).first()
    before = AccessLogEntry.objects.count()
    response = client.post(reverse("cases:child_remove", args=[cases.a.pk, child.pk]))
    assert response.status_code in (403, 404)
    assert _new_entries(before) == []
    before = AccessLogEntry.objects.count()
    household = reverse("cases:household_new_case", args=[cases.a.household_id])
    assert _refused_entries(client, household, before) == [("cases.person", cases.a.pk, True)]


def test_a_hidden_handover_page_and_api_detail_are_denied_reads(login, cases, org, caseworker2):
    from bokvar.models import Unit
    from cases.handovers.services.sending import send_handover
    from cases.models import Handover

    handover, _ = send_handover(
        actor=org.users["caseworker"],
        case_id=cases.a.pk,
        kind=Handover.Kind.TRANSFER,
        to_unit=org.units[Unit.Kind.HOUSING_TEAM],
        from_unit=None,
        reason="Behöver boende",
        expectations="Boendestöd",
    )
    client = login(caseworker2)  # income support: neither sender nor receiver
    for url in (
        reverse("cases:handover", args=[handover.pk]),
        reverse("api-handover", args=[handover.pk]),
    ):
        before = AccessLogEntry.objects.count()
        assert _refused_entries(client, url, before) == [("cases.case", cases.a.pk, True)], url
    # A handover id that does not exist tells nothing and is not logged.
    before = AccessLogEntry.objects.count()
    assert client.get(reverse("api-handover", args=[10**9])).status_code == 404
    assert _new_entries(before) == []


def test_a_hidden_placement_page_is_a_denied_read_of_its_case(login, cases, org, caseworker2):
    from datetime import date
    from decimal import Decimal

    from housing import services
    from housing.models import Apartment

    coordinator = org.users["coordinator"]
    apartment = services.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRIAL,
        reference="LGH-9",
        address="Tulegatan 9",
        rent=Decimal("6000"),
        status_since=date(2025, 1, 1),
    )
    placement = services.start_placement(
        actor=coordinator,
        case_id=cases.g.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=org.users["guide"],
        monthly_cost=Decimal("1000"),
        goals={"running_home": True},
    )
    client = login(caseworker2)
    before = AccessLogEntry.objects.count()
    url = reverse("housing:placement", args=[placement.pk])
    assert _refused_entries(client, url, before) == [("cases.case", cases.g.pk, True)]


def test_a_refused_read_describes_its_subject_once(login, cases, caseworker2):
    """The middleware describes the refused object (is it about a case or a person?) and
    the log entry is written from that description: the case is not described a second
    time (issue 22: one query and its building fewer on every refused read)."""
    from unittest import mock

    from cases.core.audit import subjects

    client = login(caseworker2)
    url = reverse("cases:detail", args=[cases.a.pk])
    client.get(url)  # warm the per-process caches
    before = AccessLogEntry.objects.count()
    with mock.patch.object(subjects, "case_subjects", wraps=subjects.case_subjects) as described:
        assert client.get(url).status_code == 404
    assert described.call_count == 1
    entries = _new_entries(before)
    assert [(e.object_type, e.case_id, e.person_id, e.unit_id, e.denied) for e in entries] == [
        ("cases.case", cases.a.pk, cases.a.household.head_id, cases.a.responsible_unit_id, True)
    ]
    assert entries[0].outside_unit and not entries[0].via_handover
