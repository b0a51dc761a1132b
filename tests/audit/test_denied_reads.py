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
