"""Who may open each workflow page: success, wrong method, 403 without the role or
write access, 404 where the user may not know the object exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.evictions.services import deadlines as contacts
from cases.evictions.services import threats
from cases.evictions.services.landlord_signals import SignalInput, register_signal
from cases.evictions.services.threats import ThreatData
from cases.evictions.services.triage import link_signal

pytestmark = pytest.mark.django_db

ROLES = [
    "coordinator",
    "guide",
    "caseworker",
    "caseworker2",
    "steering",
    "auditor",
    "admin",
    "skotare",
]


@pytest.fixture
def world(org, cases, landlord):
    coordinator = org.users["coordinator"]
    today = timezone.localdate()
    signal = register_signal(
        actor=coordinator,
        landlord=landlord,
        data=SignalInput(kind="neglect", received_on=today, channel="phone"),
    )
    threat = threats.create_threat(
        actor=coordinator,
        case_id=cases.a.pk,
        data=ThreatData(termination_served_on=today, board_notified_on=today),
    )
    deadline = threat.deadlines.get()
    follow_up = contacts.add_follow_up(
        actor=coordinator, case=cases.b, due_on=today + timedelta(days=3)
    )
    return {"signal": signal, "threat": threat, "deadline": deadline, "follow_up": follow_up}


def _status(client, user, method, url, data=None):
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = getattr(client, method)(url, data or {})
    client.logout()
    return response.status_code


# Triage pages: coordinators only.
@pytest.mark.parametrize("name", ["cases:signals", "cases:signal_new", "cases:signal_import"])
def test_triage_pages(client, org, world, name):
    url = reverse(name)
    assert _status(client, None, "get", url) == 302
    for username in ROLES:
        expected = 200 if username == "coordinator" else 403
        assert _status(client, org.users[username], "get", url) == expected, username
    assert _status(client, org.users["coordinator"], "delete", url) == 405


def test_signal_detail(client, org, world, outsider):
    url = reverse("cases:signal", args=[world["signal"].pk])
    assert _status(client, org.users["coordinator"], "get", url) == 200
    # An untriaged signal belongs to no case: other staff may not know it exists.
    for username in ("guide", "caseworker", "caseworker2"):
        assert _status(client, org.users[username], "get", url) == 404, username
    for username in ("steering", "auditor", "admin", "skotare"):
        assert _status(client, org.users[username], "get", url) == 403, username
    assert _status(client, outsider, "get", url) == 403
    assert _status(client, org.users["coordinator"], "post", url) == 405
    missing = reverse("cases:signal", args=[99999])
    assert _status(client, org.users["coordinator"], "get", missing) == 404


@pytest.mark.parametrize(
    "name",
    [
        "cases:signal_link",
        "cases:signal_dismiss",
        "cases:signal_open_case",
        "cases:signal_reopen_case",
    ],
)
def test_triage_actions(client, org, world, cases, name):
    signal = world["signal"]
    url = reverse(name, args=[signal.pk])
    assert _status(client, org.users["coordinator"], "get", url) == 405
    assert _status(client, org.users["guide"], "post", url) == 404
    assert _status(client, org.users["steering"], "post", url) == 403
    # Once linked to the adult unit's case, its caseworker may read it but not triage it.
    link_signal(
        actor=org.users["coordinator"], signal_id=signal.pk, expected_version=1, case_id=cases.a.pk
    )
    assert (
        _status(client, org.users["caseworker"], "get", reverse("cases:signal", args=[signal.pk]))
        == 200
    )
    assert _status(client, org.users["caseworker"], "post", url, {"version": 2}) == 403


def test_link_to_an_unknown_case_is_404(client, org, world):
    url = reverse("cases:signal_link", args=[world["signal"].pk])
    assert (
        _status(client, org.users["coordinator"], "post", url, {"case": 99999, "version": 1}) == 404
    )
    world["signal"].refresh_from_db()
    assert world["signal"].status == "untriaged"


@pytest.mark.parametrize(
    "name", ["cases:threat_new", "cases:contact_new", "cases:intervention_new"]
)
def test_case_entry_pages(client, org, world, cases, name):
    url = reverse(name, args=[cases.a.pk])
    assert _status(client, org.users["coordinator"], "get", url) == 200
    assert _status(client, org.users["caseworker"], "get", url) == 200
    assert _status(client, org.users["caseworker2"], "get", url) == 404
    assert _status(client, org.users["guide"], "get", url) == 404
    assert _status(client, org.users["steering"], "get", url) == 403
    assert _status(client, org.users["coordinator"], "delete", url) == 405


def test_case_entry_read_only_access_is_403(client, org, world, cases):
    from guardian.shortcuts import assign_perm

    assign_perm("cases.view_case", org.users["caseworker2"], cases.a)
    url = reverse("cases:contact_new", args=[cases.a.pk])
    assert _status(client, org.users["caseworker2"], "get", url) == 403


def test_threat_edit_page(client, org, world, cases):
    threat = world["threat"]
    url = reverse("cases:threat_edit", args=[cases.a.pk, threat.pk])
    assert _status(client, org.users["caseworker"], "get", url) == 200
    assert _status(client, org.users["caseworker2"], "get", url) == 404
    assert _status(client, org.users["auditor"], "get", url) == 403
    # The threat of one case cannot be reached through another.
    other = reverse("cases:threat_edit", args=[cases.g.pk, threat.pk])
    assert _status(client, org.users["coordinator"], "get", other) == 404
    assert _status(client, org.users["coordinator"], "put", url) == 405


def test_my_deadlines(client, org, world):
    url = reverse("cases:deadlines")
    assert _status(client, org.users["steering"], "get", url) == 403
    assert _status(client, org.users["coordinator"], "post", url) == 405
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    page = client.get(url)
    assert page.status_code == 200
    assert [d.pk for d in page.context["upcoming"]] == [world["deadline"].pk]
    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert [d.pk for d in client.get(url).context["upcoming"]] == [world["follow_up"].pk]


def test_deadline_done(client, org, world):
    url = reverse("cases:deadline_done", args=[world["deadline"].pk])
    assert _status(client, org.users["caseworker"], "get", url) == 405
    assert _status(client, org.users["caseworker2"], "post", url) == 404
    assert _status(client, org.users["steering"], "post", url) == 403
    assert _status(client, org.users["caseworker"], "post", url) == 302
    world["deadline"].refresh_from_db()
    assert world["deadline"].done_at is not None


def test_my_deadlines_overdue_first_and_badge(client, org, make_case):
    case = make_case(assignees=["guide"])
    today = timezone.localdate()
    late = contacts.add_follow_up(
        actor=org.users["guide"], case=case, due_on=today - timedelta(days=2)
    )
    soon = contacts.add_follow_up(
        actor=org.users["guide"], case=case, due_on=today + timedelta(days=1)
    )
    contacts.add_follow_up(actor=org.users["guide"], case=case, due_on=today + timedelta(days=30))
    client.force_login(org.users["guide"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("cases:deadlines"))
    assert [d.pk for d in response.context["overdue"]] == [late.pk]
    assert response.context["upcoming"][0].pk == soon.pk
    page = response.content.decode()
    late_at = page.index((today - timedelta(days=2)).isoformat())
    assert late_at < page.index((today + timedelta(days=1)).isoformat())
    from types import SimpleNamespace

    from cases.evictions.selectors import my_deadline_count

    assert my_deadline_count(SimpleNamespace(user=org.users["guide"])) == 2


def test_badge_is_one_query(client, org, make_case, django_assert_num_queries):
    from types import SimpleNamespace

    from cases.evictions.selectors import my_deadline_count

    for _ in range(5):
        case = make_case(assignees=["guide"])
        contacts.add_follow_up(actor=org.users["guide"], case=case, due_on=timezone.localdate())
    with django_assert_num_queries(1):
        assert my_deadline_count(SimpleNamespace(user=org.users["guide"])) == 5


def test_landlord_register_pages(client, org):
    list_url, new_url = reverse("cases:landlords"), reverse("cases:landlord_new")
    for username in ROLES:
        expected = 200 if username in ("coordinator", "admin") else 403
        assert _status(client, org.users[username], "get", list_url) == expected, username
        assert _status(client, org.users[username], "get", new_url) == expected, username
    assert _status(client, org.users["admin"], "delete", list_url) == 405
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.post(
        new_url, {"kind": "private", "name": "Greta Privatvärd", "phone": "070-444 55 66"}
    )
    assert response.status_code == 302
    assert "Greta Privatvärd" in client.get(list_url).content.decode()
    again = client.post(new_url, {"kind": "private", "name": "greta privatvärd"})
    assert again.status_code == 400 and "name" in again.context["form"].errors
