"""Signals belong to a district: a coordinator sees and triages only their own
districts' signals (queue, page, API, badge). Repeat signals follow the first one;
a known tenant whose case was closed gets it reopened."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from bokvar import services as org_services
from bokvar.concurrency import ConflictError
from bokvar.models import District, Role, Unit
from cases.core.services.cases import close_case, create_case
from cases.evictions import selectors
from cases.evictions.services.landlord_signals import SignalInput, register_signal
from cases.evictions.services.landlords import register_landlord
from cases.evictions.services.triage import dismiss_signal, link_signal, reopen_case_for_signal
from cases.models import Case, Landlord, LandlordSignal

from .conftest import OTHER_PN, TENANT_PN
from .conftest import receive as _receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def south(org):
    """A second district with its own housing team and coordinator."""
    from tests.factories import UserFactory

    district = District.objects.create(name="Södermalm", code="sodermalm")
    team = org_services.create_unit(
        district=district, name="Bo Kvar Söder", kind=Unit.Kind.HOUSING_TEAM
    )
    coordinator = UserFactory(username="coordinator_south", first_name="Sonja")
    org_services.add_membership(user=coordinator, unit=team, role=Role.COORDINATOR)
    return SimpleNamespace(district=district, team=team, coordinator=coordinator)


def _queue(user) -> list[LandlordSignal]:
    """The queue as its page reads it, by the statement kept per reader (issue 22),
    checked against the ORM's own reading in every scenario here."""
    kept = selectors.triage_queue_rows(user)
    orm = list(selectors.triage_queue(user))

    def seen(signals: list[LandlordSignal]) -> list[tuple[int, int, str]]:
        # repeat_count: the queue's annotation
        return [(s.pk, s.repeat_count, s.landlord.kind) for s in signals]  # type: ignore[attr-defined]

    assert seen(kept) == seen(orm)
    return kept


def _badge(user) -> int:
    return selectors.untriaged_count(SimpleNamespace(user=user))


def _api_ids(api_as, user) -> set[int]:
    response = api_as(user=user).get("/api/v1/signals/")
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


# --- 1. Scoping ----------------------------------------------------------------------


def test_signal_of_another_district_is_unknown_to_its_coordinator(
    org, south, landlord, login, api_as
):
    north = org.users["coordinator"]
    signal = _receive(landlord)
    # The landlord was registered for Norrmalm only, so the signal is Norrmalm's.
    assert signal.district == org.district
    assert [s.pk for s in _queue(north)] == [signal.pk]
    assert _badge(north) == 1
    assert _api_ids(api_as, north) == {signal.pk}

    other = south.coordinator
    assert _queue(other) == []
    assert _badge(other) == 0
    assert _api_ids(api_as, other) == set()
    assert api_as(user=other).get(f"/api/v1/signals/{signal.pk}/").status_code == 404
    client = login(other)
    queue = client.get(reverse("cases:signals"))
    assert queue.status_code == 200 and queue.context["signals"] == []
    assert client.get(reverse("cases:signal", args=[signal.pk])).status_code == 404
    for name in ("cases:signal_dismiss", "cases:signal_link", "cases:signal_open_case"):
        response = client.post(reverse(name, args=[signal.pk]), {"version": 1, "reason": "x"})
        assert response.status_code == 404, name
    signal.refresh_from_db()
    assert signal.status == LandlordSignal.Status.UNTRIAGED


def test_each_district_sees_its_own_landlords_signals(org, south, landlord):
    south_landlord = register_landlord(
        actor=south.coordinator, kind=Landlord.Kind.HOUSING_COMPANY, name="Söderhem"
    )
    assert set(south_landlord.districts.all()) == {south.district}
    north_signal = _receive(landlord)
    south_signal = _receive(south_landlord, personal_number=OTHER_PN, name="")
    assert [s.pk for s in _queue(org.users["coordinator"])] == [north_signal.pk]
    assert [s.pk for s in _queue(south.coordinator)] == [south_signal.pk]


def test_unplaced_signal_waits_for_the_landlords_districts_until_triaged(org, south, make_case):
    both = register_landlord(
        actor=org.users["admin"],
        kind=Landlord.Kind.HOUSING_COMPANY,
        name="Stadshem",
        districts=[org.district],
    )
    both.districts.add(south.district)
    # Nothing tells where an unknown tenant lives: both districts' coordinators see it.
    signal = _receive(both, personal_number="", name="")
    assert signal.district is None
    assert _badge(org.users["coordinator"]) == 1 and _badge(south.coordinator) == 1
    dismiss_signal(
        actor=org.users["coordinator"], signal_id=signal.pk, expected_version=1, reason="Fel"
    )
    signal.refresh_from_db()
    # The dismissing coordinator's district takes it; the other district loses sight.
    assert signal.district == org.district
    assert not selectors.visible_signals(south.coordinator).filter(pk=signal.pk).exists()

    # A known tenant with an open case in one of the landlord's districts places it.
    make_case(people=[_person(OTHER_PN)])
    placed = _receive(both, personal_number=OTHER_PN, name="")
    assert placed.district == org.district
    assert _badge(south.coordinator) == 0


def test_manual_signal_is_filed_under_the_coordinators_district(org, south, landlord):
    # A coordinator of one district files under it, whatever the landlord's districts.
    signal = register_signal(
        actor=south.coordinator,
        landlord=landlord,
        data=SignalInput(kind="neglect", received_on=timezone.localdate(), channel="phone"),
    )
    assert signal.district == south.district
    with pytest.raises(ValidationError) as exc:
        register_signal(
            actor=south.coordinator,
            landlord=landlord,
            data=SignalInput(kind="neglect", received_on=timezone.localdate(), channel="phone"),
            district=org.district,
        )
    assert "district" in exc.value.message_dict


def test_coordinator_of_two_districts_chooses_one(org, south, landlord, login):
    coordinator = org.users["coordinator"]
    org_services.add_membership(user=coordinator, unit=south.team, role=Role.COORDINATOR)
    client = login(coordinator)
    url = reverse("cases:signal_new")
    assert "district" in client.get(url).context["form"].fields
    body = {
        "landlord": landlord.pk,
        "kind": "neglect",
        "channel": "phone",
        "received_on": timezone.localdate().isoformat(),
    }
    response = client.post(url, body)
    assert response.status_code == 200 and "district" in response.context["form"].errors
    assert LandlordSignal.objects.count() == 0
    assert client.post(url, {**body, "district": south.district.pk}).status_code == 302
    assert LandlordSignal.objects.get().district == south.district


# --- 2. Repeat signals -----------------------------------------------------------------


def test_second_signal_before_triage_follows_the_first(org, landlord, make_case, login):
    coordinator = org.users["coordinator"]
    first = _receive(landlord, days_ago=3)
    second = _receive(landlord, days_ago=1, kind="disturbance")
    assert second.repeat_of == first and second.status == LandlordSignal.Status.UNTRIAGED
    queue = _queue(coordinator)
    assert [s.pk for s in queue] == [first.pk] and queue[0].repeat_count == 1
    assert _badge(coordinator) == 1
    client = login(coordinator)
    page = client.get(reverse("cases:signal", args=[first.pk]))
    assert [r.pk for r in page.context["repeats"]] == [second.pk]
    # The repeat itself is not triaged on its own.
    assert not client.get(reverse("cases:signal", args=[second.pk])).context["may_triage"]
    with pytest.raises(ValidationError):
        dismiss_signal(actor=coordinator, signal_id=second.pk, expected_version=1, reason="x")
    # A third one joins the same first signal, not the second.
    third = _receive(landlord, kind="other")
    assert third.repeat_of == first
    case = make_case()
    link_signal(actor=coordinator, signal_id=first.pk, expected_version=1, case_id=case.pk)
    for repeat in (second, third):
        repeat.refresh_from_db()
        assert (repeat.status, repeat.case) == (LandlordSignal.Status.LINKED, case)
    assert _badge(coordinator) == 0


def test_repeats_are_dismissed_with_the_first(org, landlord):
    first = _receive(landlord)
    second = _receive(landlord, kind="other")
    dismiss_signal(
        actor=org.users["coordinator"], signal_id=first.pk, expected_version=1, reason="Betalt"
    )
    second.refresh_from_db()
    assert second.status == LandlordSignal.Status.DISMISSED
    assert second.dismissal_reason == "Betalt"


def test_repeat_window_counts_from_the_signals_own_date(org, landlord, make_case):
    coordinator = org.users["coordinator"]
    # Both arrived long ago but within 30 days of each other: a repeat.
    old = _receive(landlord, days_ago=100)
    assert _receive(landlord, days_ago=75).repeat_of == old
    # More than 30 days after the last of them: a signal of its own.
    assert _receive(landlord, days_ago=40).repeat_of is None
    # Linked to an open case 60 days ago; a letter dated 40 days ago joins the case.
    linked = _receive(landlord, days_ago=200, personal_number=OTHER_PN, name="")
    case = make_case()
    link_signal(actor=coordinator, signal_id=linked.pk, expected_version=1, case_id=case.pk)
    late = _receive(landlord, days_ago=180, personal_number=OTHER_PN, name="")
    assert (late.status, late.case) == (LandlordSignal.Status.LINKED, case)
    assert _receive(landlord, days_ago=140, personal_number=OTHER_PN, name="").case is None


def test_other_landlord_or_tenant_is_not_a_repeat(org, landlord, other_landlord):
    first = _receive(landlord)
    assert _receive(other_landlord).repeat_of is None
    assert _receive(landlord, personal_number=OTHER_PN, name="").repeat_of is None
    assert first.repeats.count() == 0


# --- 3. A known tenant whose case is closed ---------------------------------------------


def _person(pn: str):
    from tests.case_fixtures import person

    return person("Tove", "Hyresgästsson", pn)


def _closed_case(org, make_case) -> Case:
    case = make_case(people=[_person(TENANT_PN)])
    return close_case(
        actor=org.users["coordinator"],
        case_id=case.pk,
        expected_version=case.version,
        outcome=Case.Outcome.LEASE_KEPT,
        closed_on=timezone.localdate(),
    )


def test_closed_case_is_offered_for_reopening(org, landlord, make_case, login):
    coordinator = org.users["coordinator"]
    case = _closed_case(org, make_case)
    signal = _receive(landlord)
    client = login(coordinator)
    page = client.get(reverse("cases:signal", args=[signal.pk]))
    assert [(s.case, s.action) for s in page.context["suggestions"]] == [(case, "reopen")]
    assert reverse("cases:signal_reopen_case", args=[signal.pk]) in page.content.decode()
    # Linking to the closed case is refused with a message, and changes nothing.
    response = client.post(
        reverse("cases:signal_link", args=[signal.pk]), {"case": case.pk, "version": 1}
    )
    assert response.status_code == 302
    signal.refresh_from_db()
    assert signal.status == LandlordSignal.Status.UNTRIAGED
    # Opening a new case for the known person says what to do instead.
    response = client.post(
        reverse("cases:signal_open_case", args=[signal.pk]),
        {
            "given_name": "Tove",
            "family_name": "Hyresgästsson",
            "responsible_unit": org.units["housing_team"].pk,
            "version": 1,
        },
    )
    assert response.status_code == 400
    assert "öppnas igen" in str(response.context["open_form"].errors["personal_number"])
    # A stale case version is refused; nothing changes.
    url = reverse("cases:signal_reopen_case", args=[signal.pk])
    response = client.post(url, {"case": case.pk, "version": 1, "case_version": 1})
    assert response.status_code == 302
    case.refresh_from_db()
    signal.refresh_from_db()
    assert case.status == Case.Status.CLOSED and signal.status == LandlordSignal.Status.UNTRIAGED
    response = client.post(url, {"case": case.pk, "version": 1, "case_version": case.version})
    assert response.status_code == 302
    assert response.url == reverse("cases:detail", args=[case.pk])
    case.refresh_from_db()
    signal.refresh_from_db()
    assert (case.status, case.outcome, case.closed_on) == (Case.Status.OPEN, "", None)
    assert (signal.status, signal.case) == (LandlordSignal.Status.LINKED, case)
    assert case.history.latest().history_change_reason == "case reopened from landlord signal"
    assert case.history.latest().history_user == coordinator


def test_reopen_needs_write_access_and_a_closed_case(org, landlord, make_case, cases, login):
    coordinator = org.users["coordinator"]
    signal = _receive(landlord)
    with pytest.raises(ValidationError):
        reopen_case_for_signal(
            actor=coordinator,
            signal_id=signal.pk,
            expected_version=1,
            case_id=cases.a.pk,
            case_version=cases.a.version,
        )
    closed = _closed_case(org, make_case)
    with pytest.raises(ConflictError):
        reopen_case_for_signal(
            actor=coordinator,
            signal_id=signal.pk,
            expected_version=1,
            case_id=closed.pk,
            case_version=closed.version - 1,
        )
    url = reverse("cases:signal_reopen_case", args=[signal.pk])
    body = {"case": closed.pk, "version": 1, "case_version": closed.version}
    assert login(org.users["caseworker"]).post(url, body).status_code == 404
    assert login(org.users["steering"]).post(url, body).status_code == 403
    assert login(coordinator).get(url).status_code == 405
    closed.refresh_from_db()
    assert closed.status == Case.Status.CLOSED


def test_open_case_from_signal_records_children(org, landlord, login):
    signal = _receive(landlord, personal_number=OTHER_PN)
    client = login(org.users["coordinator"])
    url = reverse("cases:signal_open_case", args=[signal.pk])
    body = {
        "given_name": "Tove",
        "family_name": "Hyresgästsson",
        "responsible_unit": org.units["housing_team"].pk,
        "version": 1,
    }
    for bad in ("20x5", "1850", str(timezone.localdate().year + 1)):
        response = client.post(url, {**body, "children_birth_years": bad})
        assert response.status_code == 400, bad
        assert "children_birth_years" in response.context["open_form"].errors
    assert Case.objects.count() == 0
    response = client.post(url, {**body, "children_birth_years": "2015, 2019"})
    assert response.status_code == 302
    signal.refresh_from_db()
    years = sorted(signal.case.household.children.values_list("birth_year", flat=True))
    assert years == [2015, 2019]


# --- 4. A tenant known in another district ----------------------------------------------


def _south_case(south, pn: str = TENANT_PN) -> Case:
    return create_case(
        actor=south.coordinator,
        kind=Case.Kind.EVICTION_PREVENTION,
        responsible_unit=south.team,
        assignees=[south.coordinator],
        people=[_person(pn)],
        children_birth_years=[],
    )


def test_signal_goes_to_the_district_of_the_tenants_open_case(org, south, landlord, login):
    # The landlord has flats in Norrmalm only, but the tenant's open case is Södermalm's.
    case = _south_case(south)
    signal = _receive(landlord)
    assert signal.district == south.district
    assert _queue(org.users["coordinator"]) == []
    assert [s.pk for s in _queue(south.coordinator)] == [signal.pk]
    page = login(south.coordinator).get(reverse("cases:signal", args=[signal.pk]))
    assert [(s.case, s.action) for s in page.context["suggestions"]] == [(case, "link")]
    # Unknown tenants still follow the landlord.
    assert _receive(landlord, personal_number=OTHER_PN, name="").district == org.district


def _open_body(org, pn: str) -> dict:
    return {
        "given_name": "Tove",
        "family_name": "Hyresgästsson",
        "personal_number": pn,
        "responsible_unit": org.units["housing_team"].pk,
        "version": 1,
    }


def test_opening_a_case_for_a_person_known_elsewhere_forwards_the_signal(
    org, south, landlord, login
):
    from bokvar.models import Notification

    case = _south_case(south)
    # Nothing identified the tenant on arrival: the landlord's district has the signal.
    signal = _receive(landlord, personal_number="", name="")
    assert signal.district == org.district
    north = org.users["coordinator"]
    client = login(north)
    url = reverse("cases:signal_open_case", args=[signal.pk])
    response = client.post(url, _open_body(org, TENANT_PN), follow=True)
    # Answered as a case opened for a number nobody holds (issue 16, point 4).
    assert response.redirect_chain[-1][0] == reverse("cases:registration_received")
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Registreringen är mottagen."]
    body = response.content.decode()
    assert "redan registrerad" not in body and case.number not in body
    assert Case.objects.count() == 1
    signal.refresh_from_db()
    assert (signal.status, signal.district) == (LandlordSignal.Status.UNTRIAGED, south.district)
    assert signal.tenant_personal_number == TENANT_PN
    assert signal.history.latest().history_change_reason == (
        "signal forwarded to the responsible district"
    )
    # The sender loses sight of it; the responsible district sees it, is told, and is
    # offered the tenant's case.
    assert client.get(reverse("cases:signal", args=[signal.pk])).status_code == 404
    note = Notification.objects.get(kind="signal_forwarded")
    assert note.recipient == south.coordinator and "Tove" not in note.subject + note.body
    page = login(south.coordinator).get(reverse("cases:signal", args=[signal.pk]))
    assert [(s.case, s.action) for s in page.context["suggestions"]] == [(case, "link")]


def test_a_protected_person_is_not_revealed_when_opening_a_case(org, landlord, cases, login):
    from tests.factories import UserFactory

    # A second coordinator of the same district, not granted the protected person.
    other = UserFactory(username="coordinator_b")
    org_services.add_membership(user=other, unit=org.units["housing_team"], role=Role.COORDINATOR)
    signal = _receive(landlord, personal_number="", name="")
    client = login(other)
    url = reverse("cases:signal_open_case", args=[signal.pk])
    response = client.post(url, _open_body(org, "19900303-5624"), follow=True)
    # The same answer as for a number nobody holds: received, nothing else.
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["Registreringen är mottagen."]
    body = response.content.decode()
    assert "redan registrerad" not in body and cases.p.number not in body
    assert "Skyddadsdotter" not in body
    assert Case.objects.count() == 4  # no new case
    signal.refresh_from_db()
    assert signal.status == LandlordSignal.Status.UNTRIAGED and signal.case is None
    # Sent to those granted: it leaves the sender's queue, as if a case had been opened.
    assert signal.routed_at is not None
    assert signal not in _queue(other)
    assert signal in _queue(org.users["coordinator"])


def test_a_person_the_coordinator_sees_is_still_refused_with_the_reason(
    org, landlord, cases, login
):
    signal = _receive(landlord, personal_number="", name="")
    client = login(org.users["coordinator"])
    url = reverse("cases:signal_open_case", args=[signal.pk])
    with translation.override("en"):
        response = client.post(url, _open_body(org, "19800101-2387"))
    assert response.status_code == 400
    errors = str(response.context["open_form"].errors["personal_number"])
    assert "redan registrerad" in errors  # Swedish by default
    signal.refresh_from_db()
    assert signal.district == org.district and signal.tenant_personal_number == ""


def test_one_signal_is_read_by_a_statement_kept_per_reader(org, south, landlord, make_case):
    """`get_signal_for_user` and `may_triage_signal` run statements compiled once per
    reader (issue 22): for every reader and signal the ORM's answer (found or 404, the
    same related rows; theirs to triage or not), one compilation serving every signal."""
    from unittest import mock

    from django.http import Http404

    from cases.core.selectors import kept

    north_signal = _receive(landlord)
    case = make_case()
    south_landlord = register_landlord(
        actor=south.coordinator, kind=Landlord.Kind.HOUSING_COMPANY, name="Söderhem"
    )
    south_signal = _receive(south_landlord, personal_number=OTHER_PN, name="")
    link_signal(
        actor=org.users["coordinator"],
        signal_id=north_signal.pk,
        expected_version=north_signal.version,
        case_id=case.pk,
    )
    readers = [org.users[n] for n in ("coordinator", "caseworker", "guide", "steering")]
    readers.append(south.coordinator)
    signals = [north_signal, south_signal]

    def the_orms(user, signal):
        return (
            selectors.visible_signals(user, by_row=True)
            .select_related("landlord", "case", "repeat_of")
            .filter(pk=signal.pk)
            .first()
        )

    selectors._SIGNAL.statements.clear()  # (linking the signal read it too)
    with mock.patch.object(kept, "_compile", wraps=kept._compile) as compiled:
        for _ in range(2):
            for user in readers:
                for signal in signals:
                    want = the_orms(user, signal)
                    if want is None:
                        with pytest.raises(Http404):
                            selectors.get_signal_for_user(user, signal.pk)
                    else:
                        got = selectors.get_signal_for_user(user, signal.pk)
                        assert (got.pk, got.case_id, got.landlord.kind, got.status) == (
                            want.pk,
                            want.case_id,
                            want.landlord.kind,
                            want.status,
                        )
                        assert got._state.fields_cache.keys() == want._state.fields_cache.keys()
                    scope = LandlordSignal.objects.filter(
                        selectors.triage_scope_q(user), pk=signal.pk
                    )
                    assert selectors.may_triage_signal(user, signal) == (
                        selectors.may_triage(user) and scope.exists()
                    )
    # Each reader's read compiled once (and the two coordinators' triage check once each).
    assert compiled.call_count == len(readers) + 2
    north = org.users["coordinator"]
    assert selectors.get_signal_for_user(north, north_signal.pk).case_id == case.pk
    assert selectors.may_triage_signal(south.coordinator, south_signal)
    assert not selectors.may_triage_signal(north, south_signal)
    with pytest.raises(Http404):
        selectors.get_signal_for_user(north, south_signal.pk)
