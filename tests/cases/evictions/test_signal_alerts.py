"""Issue 15 point 6: signals that arrive by API or import reach the district's
coordinators as one digest per run (in-app and by e-mail), and a signal left untriaged
for `SIGNAL_ESCALATION_WORKING_DAYS` working days is escalated to the coordinators'
unit lead, once. Dated scenarios: Easter 2026 (Good Friday 3 April, Easter Monday
6 April) and an ordinary weekend."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar import services as org_services
from bokvar.models import District, Notification, Role, Unit
from cases.evictions.services import signal_alerts
from cases.evictions.services.imports import import_signals
from cases.evictions.services.landlord_signals import SignalInput, receive_signal
from cases.models import LandlordSignal

from .conftest import OTHER_PN, TENANT_PN, valid_pn

pytestmark = pytest.mark.django_db


def at(y, m, d, h=9) -> datetime:
    return timezone.make_aware(datetime(y, m, d, h))


@pytest.fixture
def south(org):
    """A second district with its own housing team, coordinator and unit lead."""
    from tests.factories import UserFactory

    district = District.objects.create(name="Södermalm", code="sodermalm")
    team = org_services.create_unit(
        district=district, name="Bo Kvar Söder", kind=Unit.Kind.HOUSING_TEAM
    )
    coordinator = UserFactory(username="coordinator_south", email="cs@example.org")
    org_services.add_membership(user=coordinator, unit=team, role=Role.COORDINATOR)
    lead = UserFactory(username="lead_south", email="ls@example.org")
    org_services.add_membership(user=lead, unit=team, role=Role.GUIDE, is_lead=True)
    return SimpleNamespace(district=district, team=team, coordinator=coordinator, lead=lead)


@pytest.fixture
def north_lead(org):
    """The lead of the Norrmalm housing team besides its coordinator (who is a lead too
    in the demo organisation)."""
    from tests.factories import UserFactory

    lead = UserFactory(username="lead_north", email="ln@example.org")
    team = org.units[Unit.Kind.HOUSING_TEAM]
    org_services.add_membership(user=lead, unit=team, role=Role.GUIDE, is_lead=True)
    return lead


def _arrive(landlord, district, *, received_on: date, pn: str = TENANT_PN, **kw):
    signal = receive_signal(
        landlord=landlord,
        data=SignalInput(
            kind=kw.pop("kind", "rent_arrears"),
            received_on=received_on,
            channel=kw.pop("channel", "api"),
            personal_number=pn,
            name=kw.pop("name", "Tove Hyresgästsson"),
            **kw,
        ),
        today=received_on,
    )
    LandlordSignal.objects.filter(pk=signal.pk).update(district=district)
    signal.refresh_from_db()
    return signal


def _notes(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).select_related("recipient"))


def test_one_digest_per_run_for_many_signals_and_none_twice(org, landlord, south):
    north = org.district
    pns = [valid_pn(1980, 1, day, 123) for day in range(1, 6)]
    for pn in pns:
        _arrive(landlord, north, received_on=date(2026, 12, 1), pn=pn)
    _arrive(landlord, south.district, received_on=date(2026, 12, 1), pn=OTHER_PN)
    # Not announced: taken down by a coordinator (they know of it).
    phoned = _arrive(landlord, north, received_on=date(2026, 12, 1), pn=valid_pn(1981, 2, 3, 456))
    LandlordSignal.objects.filter(pk=phoned.pk).update(channel="phone")

    sent = signal_alerts.notify_arrivals(now=at(2026, 12, 2))
    digests = _notes("signals_arrived")
    by_user = {n.recipient.username: n for n in digests}
    # One per coordinator of each district: the five Norrmalm signals in ONE notice.
    assert sent == 2 and set(by_user) == {"coordinator", "coordinator_south"}
    assert by_user["coordinator"].subject.startswith("5 ")
    assert by_user["coordinator_south"].subject.startswith("1 ")
    # E-mailed as well as in-app (the coordinator has an address in the demo).
    assert by_user["coordinator_south"].email_state == Notification.EmailState.PENDING
    # No person data: not the name, number or address.
    for note in digests:
        text = note.subject + note.body
        assert "Tove" not in text and TENANT_PN[:8] not in text and "1980" not in text
    # Nobody else: not the leads, not the caseworkers, not the other district's staff.
    assert "guide" not in by_user and "caseworker" not in by_user

    # The scheduler runs again: nothing new, nothing sent.
    assert signal_alerts.notify_arrivals(now=at(2026, 12, 2, 10)) == 0
    # A new signal: a new digest with only it.
    _arrive(landlord, north, received_on=date(2026, 12, 2), pn=valid_pn(1982, 3, 4, 789))
    assert signal_alerts.notify_arrivals(now=at(2026, 12, 2, 11)) == 1
    newest = Notification.objects.filter(kind="signals_arrived", recipient=org.users["coordinator"])
    assert sorted(n.subject[:2] for n in newest) == ["1 ", "5 "]
    assert all(s.coordinators_told_at for s in LandlordSignal.objects.filter(channel="api"))


def test_signal_without_a_district_reaches_the_landlords_districts(org, landlord, south):
    # The landlord has flats in both districts: nobody knows yet whose the signal is, so
    # it is in both districts' queues, and both coordinators are told; in one digest each.
    landlord.districts.add(org.district, south.district)
    unplaced = receive_signal(
        landlord=landlord,
        data=SignalInput(kind="neglect", received_on=date(2026, 12, 1), channel="api"),
        today=date(2026, 12, 1),
    )
    assert unplaced.district_id is None
    _arrive(landlord, south.district, received_on=date(2026, 12, 1), pn=OTHER_PN)
    assert signal_alerts.notify_arrivals(now=at(2026, 12, 2)) == 2
    by_user = {n.recipient.username: n.subject for n in _notes("signals_arrived")}
    assert by_user["coordinator"].startswith("1 ")
    assert by_user["coordinator_south"].startswith("2 ")
    assert signal_alerts.notify_arrivals(now=at(2026, 12, 2, 10)) == 0


def test_digest_queries_do_not_grow_with_signals(org, landlord, south):
    def run_with(count: int, offset: int) -> int:
        for i in range(count):
            _arrive(
                landlord,
                org.district if i % 2 else south.district,
                received_on=date(2026, 12, 1),
                pn=valid_pn(1970, 1 + offset, 1 + i, 100 + i),
            )
        with CaptureQueriesContext(connection) as ctx:
            signal_alerts.notify_arrivals(now=at(2026, 12, 2, 9 + offset))
        return len(ctx.captured_queries)

    assert run_with(2, 0) == run_with(12, 1)


def test_import_is_announced_in_one_digest(org, landlord):
    csv = "kind;received_on;personal_number\n" + "\n".join(
        f"rent_arrears;2026-12-01;{valid_pn(1975, 5, day, 222)}" for day in range(1, 4)
    )
    import_signals(
        actor=org.users["coordinator"], landlord=landlord, data=csv, today=date(2026, 12, 1)
    )
    assert LandlordSignal.objects.filter(channel="import", district=org.district).count() == 3
    assert signal_alerts.notify_arrivals(now=at(2026, 12, 1, 15)) == 1
    (note,) = _notes("signals_arrived")
    assert note.recipient == org.users["coordinator"] and note.subject.startswith("3 ")


def test_escalation_once_in_working_days_across_easter(org, landlord, south, north_lead):
    # Received Thursday 2 April 2026: Good Friday, the weekend and Easter Monday are not
    # working days; the second working day after it is Wednesday 8 April.
    signal = _arrive(landlord, org.district, received_on=date(2026, 4, 2))
    for day in (3, 4, 5, 6, 7):
        assert signal_alerts.escalate_untriaged(now=at(2026, 4, day, 23)) == 0
    # The leads of the coordinators' unit: the demo coordinator (lead of the housing team)
    # and the added lead; not the south lead, not the caseworker's unit lead.
    assert signal_alerts.escalate_untriaged(now=at(2026, 4, 8, 7)) == 2
    assert signal_alerts.escalate_untriaged(now=at(2026, 4, 8, 8)) == 0
    assert signal_alerts.escalate_untriaged(now=at(2026, 4, 20)) == 0
    notes = _notes("signal_escalation")
    assert {n.recipient.username for n in notes} == {"coordinator", "lead_north"}
    assert all(n.dedupe_key == f"signal:{signal.pk}:untriaged" for n in notes)
    assert all("Tove" not in n.subject + n.body for n in notes)


def test_escalation_over_a_weekend_and_configurable(org, landlord, south, settings):
    # Friday 4 December 2026 in Södermalm: Monday is working day 1, Tuesday day 2.
    signal = _arrive(landlord, south.district, received_on=date(2026, 12, 4))
    assert signal_alerts.escalate_untriaged(now=at(2026, 12, 7, 20)) == 0
    assert signal_alerts.escalate_untriaged(now=at(2026, 12, 8, 7)) == 1
    (note,) = _notes("signal_escalation")
    assert note.recipient == south.lead and str(signal.pk) in note.subject
    # Three working days: Monday 14 December for a signal of Wednesday 9 December.
    settings.BOKVAR = {**settings.BOKVAR, "SIGNAL_ESCALATION_WORKING_DAYS": 3}
    later = _arrive(landlord, south.district, received_on=date(2026, 12, 9), pn=OTHER_PN)
    assert signal_alerts.escalate_untriaged(now=at(2026, 12, 11, 20)) == 0
    assert signal_alerts.escalate_untriaged(now=at(2026, 12, 14, 7)) == 1
    assert Notification.objects.filter(dedupe_key=f"signal:{later.pk}:untriaged").count() == 1


def test_triaged_signal_is_not_escalated(org, landlord, south):
    signal = _arrive(landlord, south.district, received_on=date(2026, 12, 4))
    LandlordSignal.objects.filter(pk=signal.pk).update(
        status="dismissed", dismissal_reason="", triaged_at=at(2026, 12, 7)
    )
    assert signal_alerts.escalate_untriaged(now=at(2026, 12, 9)) == 0


def test_run_scans_and_beat_run_the_signal_job(org, landlord, settings):
    assert "cases.notify_signals" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    _arrive(landlord, org.district, received_on=timezone.localdate())
    call_command("run_scans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("run_scans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert len(_notes("signals_arrived")) == 1


def test_signal_about_a_protected_person_leaks_nothing(org, make_case, landlord, north_lead, login):
    from cases.models import ProtectedIdentity
    from tests.case_fixtures import person

    protected_pn = "19700707-1009"
    make_case(
        people=[
            person(
                "Hemlig",
                "Hemligsson",
                protected_pn,
                address="Gömdavägen 3",
                protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
            )
        ]
    )
    _arrive(
        landlord,
        org.district,
        received_on=date(2026, 12, 1),
        pn=protected_pn,
        name="Hemlig Hemligsson",
        address="Gömdavägen 3",
        description="Hyran saknas sedan oktober",
    )
    assert signal_alerts.notify_arrivals(now=at(2026, 12, 1, 15)) == 1
    assert signal_alerts.escalate_untriaged(now=at(2026, 12, 3, 8)) == 2
    notes = Notification.objects.filter(kind__in=["signals_arrived", "signal_escalation"])
    assert notes.count() == 3
    for note in notes:
        text = f"{note.subject} {note.body} {note.url}"
        for secret in ("Hemlig", "Gömda", "700707", "Hyran saknas"):
            assert secret not in text
    # A lead who does not triage gets no link to a page they may not open, and is told
    # whom to ask; the coordinator-lead follows the link and the signal's page withholds
    # the tenant (they were not granted the person), the one visibility rule.
    guide_lead = notes.get(kind="signal_escalation", recipient=north_lead)
    from django.utils.translation import gettext

    assert guide_lead.url == ""
    assert gettext("Ask the district's coordinators to triage it.") in guide_lead.body
    from cases.core.identity import parse_personal_number, personal_number_indexes
    from cases.core.selectors.people import may_see_person
    from cases.models import Person

    triaging_lead = notes.get(kind="signal_escalation", recipient__username="coordinator")
    coordinator = org.users["coordinator"]
    page = login(coordinator).get(triaging_lead.url).content.decode()
    # The coordinator opened the case and was granted the person: they see the tenant;
    # a coordinator without the grant would see the placeholder (test_protected_walk).
    canonical = parse_personal_number(protected_pn)
    hidden = Person.objects.get(personal_number_bidx__in=personal_number_indexes(canonical))
    assert ("Hemlig" in page) == may_see_person(coordinator, hidden)
