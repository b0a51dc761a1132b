"""Optimistic locking: the second of two editors is told, and the first edit survives."""

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_second_case_editor_gets_a_conflict(org, cases):
    first, second = _client(org.users["coordinator"]), _client(org.users["caseworker"])
    url = reverse("cases:edit", args=[cases.a.pk])
    version = cases.a.version
    assert first.get(url).status_code == 200 and second.get(url).status_code == 200
    ok = first.post(
        url, {"kind": "homelessness", "assignees": [org.users["caseworker"].pk], "version": version}
    )
    assert ok.status_code == 302
    clash = second.post(
        url,
        {
            "kind": "eviction_prevention",
            "assignees": [org.users["caseworker"].pk],
            "version": version,
        },
    )
    assert clash.status_code == 200
    body = clash.content.decode()
    assert "Någon annan sparade" in body and "Anette Sjöberg" in body and "typ" in body
    cases.a.refresh_from_db()
    assert cases.a.kind == "homelessness"


def test_second_person_editor_gets_a_conflict(org, cases):
    person = cases.a.household.head
    url = reverse("cases:person_edit", args=[cases.a.pk, person.pk])
    base = {
        "given_name": "Astrid",
        "family_name": "Adultsson",
        "personal_number": "19800101-2387",
        "protected_identity": "none",
        "version": person.version,
    }
    first, second = _client(org.users["coordinator"]), _client(org.users["caseworker"])
    assert first.post(url, {**base, "phone": "08-111 111"}).status_code == 302
    clash = second.post(url, {**base, "phone": "08-222 222"})
    assert clash.status_code == 200 and "Någon annan sparade" in clash.content.decode()
    person.refresh_from_db()
    assert person.phone == "08-111 111"


def test_stale_close_does_not_overwrite(org, cases):
    from bokvar.concurrency import ConflictError
    from cases.core.services.cases import close_case, update_case

    version = cases.a.version
    update_case(
        actor=org.users["coordinator"],
        case_id=cases.a.pk,
        expected_version=version,
        kind="homelessness",
        assignees=[],
    )
    with pytest.raises(ConflictError):
        close_case(
            actor=org.users["caseworker"],
            case_id=cases.a.pk,
            expected_version=version,
            outcome="other",
            closed_on=cases.a.opened_on,
        )
    cases.a.refresh_from_db()
    assert cases.a.status == "open"
