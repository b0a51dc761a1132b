"""The start page says what needs each role today (issue 19, point 2): deadlines with
working days left, households with children facing an eviction date, handovers waiting
with their wait and escalation, untriaged signals and their age, placements whose
training follow-up is due; the steering group's key figures, the auditor's flagged
reads, the meeting-place staff's tally. Each item links where it is handled, names
follow the placeholder rule, and the page costs as many queries with 3 items as with 30."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar.models import Unit
from cases.evictions.services.landlords import register_landlord
from cases.evictions.services.threats import ThreatData, create_threat
from cases.models import Deadline, Landlord, LandlordSignal
from housing.models import Apartment, Placement
from partners import services as partner_services
from partners.models import Partner
from partners.services import PartnerData
from tests.cases.handovers.conftest import send

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="([^"]+)"')


def _page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


def _deadline(case, days: int) -> Deadline:
    return Deadline.objects.create(
        case=case, kind=Deadline.Kind.FOLLOW_UP, due_on=timezone.localdate() + timedelta(days=days)
    )


def _follow_links(client, section: str) -> None:
    for url in HREF.findall(section):
        url = url.replace("&amp;", "&")
        assert client.get(url).status_code == 200, url


def test_caseworker_sees_deadlines_with_working_days_and_links(cases, login, caseworker):
    _deadline(cases.a, -2)
    _deadline(cases.a, 1)
    _deadline(cases.a, 60)  # far off: not today's business
    _deadline(cases.b, -1)  # another unit's case: never shown
    client = login(caseworker)
    section = _section(_page(client), "deadlines-heading")
    assert section.count(cases.a.number) == 2
    assert cases.b.number not in section
    # The one wording of deadlines: calendar days, then working days.
    assert "Försenad med 2 dagar (" in section
    assert "arbetsdag" in section
    assert "Adultsson" in section  # the household, by its head's name
    assert f'href="/cases/{cases.a.pk}/"' in section
    _follow_links(client, section)


def test_protected_head_is_a_placeholder(cases, login, caseworker):
    _deadline(cases.p, 0)  # the adult unit's case nobody is assigned to: the unit's
    section = _section(_page(login(caseworker)), "deadlines-heading")
    assert cases.p.number in section
    assert "Skyddadsdotter" not in section
    assert "Petra" not in section


def test_children_facing_an_eviction_date(cases, login, caseworker, coordinator):
    today = timezone.localdate()
    create_threat(
        actor=coordinator, case_id=cases.a.pk, data=ThreatData(eviction_on=today + timedelta(10))
    )
    create_threat(  # no children in household B
        actor=coordinator, case_id=cases.b.pk, data=ThreatData(eviction_on=today + timedelta(10))
    )
    client = login(caseworker)
    section = _section(_page(client), "children-heading")
    assert cases.a.number in section and "2 barn" in section
    assert cases.b.number not in section
    _follow_links(client, section)


def test_handovers_waiting_with_wait_and_escalation(cases, org, login, caseworker, caseworker2):
    from cases.models import Handover

    handover = send(cases.a, actor=caseworker, to_unit=org.units[Unit.Kind.INCOME_SUPPORT])
    Handover.objects.filter(pk=handover.pk).update(sent_at=timezone.now() - timedelta(days=8))
    _deadline(cases.a, 4)
    client = login(caseworker2)
    section = _section(_page(client), "handovers-heading")
    assert cases.a.number in section
    assert "Har väntat 8 dagar." in section
    assert "Eskalerad (steg" in section
    assert "Ärendets nästa frist" in section
    assert "Adultsson" not in section  # the receiving unit may not see the case yet
    _follow_links(client, section)
    # The sender's start page does not list it as waiting for them.
    assert cases.a.number not in _section(_page(login(caseworker)), "handovers-heading")


def _signal(org, landlord, days_ago: int) -> LandlordSignal:
    return LandlordSignal.objects.create(
        landlord=landlord,
        district=org.district,
        kind=LandlordSignal.Kind.MISSED_PAYMENT,
        channel=LandlordSignal.Channel.PHONE,
        received_on=timezone.localdate() - timedelta(days=days_ago),
    )


@pytest.fixture
def landlord(org):
    return register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Familjebostäder"
    )


def test_coordinator_sees_untriaged_signals_and_their_age(org, login, coordinator, landlord):
    signal = _signal(org, landlord, 5)
    client = login(coordinator)
    section = _section(_page(client), "signals-heading")
    assert f"/cases/signals/{signal.pk}/" in section
    assert "Väntar sedan 5 dagar." in section
    _follow_links(client, section)


def _placement(org, case, *, guide, days_ago: int, n: int) -> Placement:
    apartment = Apartment.objects.create(
        district=org.district,
        kind=Apartment.Kind.TRAINING,
        address=f"Träningsgatan {n}",
        reference=f"T-{n}",
        rent=Decimal("5000"),
        status=Apartment.Status.OCCUPIED,
        status_since=timezone.localdate(),
    )
    return Placement.objects.create(
        apartment=apartment,
        case=case,
        household=case.household,
        start_on=timezone.localdate() - timedelta(days=days_ago),
        guide=guide,
    )


def test_guide_sees_training_follow_ups_due(cases, org, login, guide):
    due = _placement(org, cases.g, guide=guide, days_ago=45, n=1)
    _placement(org, cases.g, guide=guide, days_ago=3, n=2)  # just moved in: not due
    client = login(guide)
    section = _section(_page(client), "placements-heading")
    assert f"/housing/placements/{due.pk}/" in section
    assert "T-1" in section and "T-2" not in section
    assert "Ingen uppföljning sedan inflyttningen" in section
    _follow_links(client, section)


def test_placements_ending_are_listed(cases, org, login, guide):
    ending = _placement(org, cases.g, guide=guide, days_ago=3, n=3)
    Placement.objects.filter(pk=ending.pk).update(
        agreed_end_on=timezone.localdate() + timedelta(days=10)
    )
    later = _placement(org, cases.g, guide=guide, days_ago=3, n=4)
    Placement.objects.filter(pk=later.pk).update(
        agreed_end_on=timezone.localdate() + timedelta(days=200)
    )
    section = _section(_page(login(guide)), "placements-heading")
    assert "T-3" in section and "Överenskommen till" in section
    assert "T-4" not in section


def test_steering_sees_key_figures_never_a_person(cases, login, steering):
    _deadline(cases.a, -1)
    client = login(steering)
    page = _page(client)
    section = _section(page, "steering-heading")
    assert "Adultsson" not in page and cases.a.number not in page
    assert "deadlines-heading" not in page and "handovers-heading" not in page
    _follow_links(client, section)


def test_auditor_sees_flagged_reads(cases, login, auditor, caseworker):
    login(caseworker).get(f"/cases/{cases.b.pk}/")  # refused: another unit's case
    client = login(auditor)
    section = _section(_page(client), "audit-heading")
    assert "flagged=on" in section
    assert re.search(r"Nekad[^<]*: [1-9]", section) or "Refused" in section
    _follow_links(client, section)


def test_skotare_sees_their_place_tally_status(org, login):
    skotare = org.users["skotare"]
    partner = partner_services.create_partner(
        actor=org.users["coordinator"],
        district=org.district,
        data=PartnerData(name="Träfflokalen Balder", kind=Partner.Kind.MEETING_PLACE),
    )
    partner_services.assign_staff(
        actor=org.users["coordinator"], place_id=partner.meeting_place.pk, user=skotare
    )
    client = login(skotare)
    page = _page(client)
    section = _section(page, "places-heading")
    assert "Träfflokalen Balder" in section
    assert "inte registrerad än" in section
    _follow_links(client, section)
    assert "deadlines-heading" not in page


def test_start_page_no_longer_repeats_the_menu(login, admin_user):
    page = _page(login(admin_user))
    assert "shortcuts-heading" not in page
    assert "Här väntar inget på dig." in page


# --- The query count does not grow with the data -------------------------------------


def _count(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx)


def _grow_case_staff(org, make_case, caseworker, n: int, offset: int) -> None:
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    for i in range(n):
        case = make_case(unit_kind=Unit.Kind.ADULT, assignees=["caseworker"], children=[2018])
        _deadline(case, i % 5 - 2)
        create_threat(
            actor=org.users["coordinator"],
            case_id=case.pk,
            data=ThreatData(eviction_on=timezone.localdate() + timedelta(days=20 + i)),
        )
        send(case, actor=caseworker, to_unit=income)
        _placement(org, case, guide=org.users["guide"], days_ago=40 + i, n=offset + i)


CASE_STAFF_PAGE_READERS = ["caseworker", "caseworker2", "coordinator", "guide", "steering", "admin"]


def test_case_staff_queries_do_not_grow(org, make_case, caseworker, landlord):
    """Each role's start page, with 3 items and then with 30. The data is grown once for
    all six readers (one client each) rather than once per reader: what is asserted is
    per reader, the same page before and after the same growth."""
    from django.test import Client

    _grow_case_staff(org, make_case, caseworker, 3, 0)
    for d in range(3):
        _signal(org, landlord, d)
    clients = {}
    for username in CASE_STAFF_PAGE_READERS:
        client = clients[username] = Client()
        client.force_login(org.users[username], backend="django.contrib.auth.backends.ModelBackend")
        client.get("/")  # warm-up: the access log's chain head
        # and the steering panel's report, published by the first page, kept by the
        # second (steering.snapshots.report_for keeps no report whose making published)
        client.get("/")
    few = {username: _count(client) for username, client in clients.items()}
    _grow_case_staff(org, make_case, caseworker, 27, 100)
    for d in range(27):
        _signal(org, landlord, d)
    assert {username: _count(client) for username, client in clients.items()} == few


def test_auditor_and_skotare_queries_do_not_grow(org, cases, login, auditor, caseworker):
    skotare = org.users["skotare"]
    client = login(auditor)
    client.get("/")
    few = _count(client)
    for _ in range(30):
        login(caseworker).get(f"/cases/{cases.b.pk}/")
    assert _count(login(auditor)) == few
    for n in range(3):
        partner = partner_services.create_partner(
            actor=org.users["coordinator"],
            district=org.district,
            data=PartnerData(name=f"Plats {n}", kind=Partner.Kind.MEETING_PLACE),
        )
        partner_services.assign_staff(
            actor=org.users["coordinator"], place_id=partner.meeting_place.pk, user=skotare
        )
    client = login(skotare)
    client.get("/")
    few = _count(client)
    for n in range(3, 12):
        partner = partner_services.create_partner(
            actor=org.users["coordinator"],
            district=org.district,
            data=PartnerData(name=f"Plats {n}", kind=Partner.Kind.MEETING_PLACE),
        )
        partner_services.assign_staff(
            actor=org.users["coordinator"], place_id=partner.meeting_place.pk, user=skotare
        )
    assert _count(client) == few
