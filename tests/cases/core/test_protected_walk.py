"""The protected-identity walk (issue 16, point 5).

A household with a protected member gets a distinct marker string in every free-text and
personal field that can concern it: the people, contact and intervention notes, deadline
notes, signals naming the protected person (by identity number, and by name only), the
handover's reason and expectations, the placement's plan and progress notes, cost notes.
Then every URL of the product, discovered from the URL resolver, is requested as every
role that was NOT granted the protected person, and as anonymous, and as a landlord's
token: no response may contain any marker.

A URL parameter the walk does not know fails the walk (teach it below), so a new page is
walked without editing the list of pages.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from bokvar.models import Role, Unit
from cases.models import ProtectedIdentity
from tests.case_fixtures import person
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
PROTECTED_PN = "19700707-1009"
COTENANT_PN = "19720202-1007"

# One marker per field; each is a word no page would print by chance.
MARKERS = {
    "given_name": "Zyxgiven",
    "family_name": "Zyxfamily",
    "address": "Zyxaddress",
    "phone": "0701-999 888",
    "email": "zyxmail@hemlig.example",
    "notes": "Zyxpersonnote",
    "interpreter": "Zyxinterp",
    "cotenant_notes": "Zyxcotenantnote",
    "cotenant_address": "Zyxcotenantaddr",
    "contact_note": "Zyxcontactnote",
    "intervention_note": "Zyxinterventionnote",
    "deadline_note": "Zyxdeadlinenote",
    "signal_pn_description": "Zyxsignalpndesc",
    "signal_pn_address": "Zyxsignaladdr",
    "signal_name_description": "Zyxsignalnamedesc",
    "linked_signal_description": "Zyxlinkedsignaldesc",
    "handover_reason": "Zyxhandoverreason",
    "handover_expectations": "Zyxhandoverexpect",
    "placement_plan": "Zyxplacementplan",
    "progress_note": "Zyxprogressnote",
    "cost_note": "Zyxcostnote",
    "referral_need": "Zyxreferralneed",
    "referral_reason": "Zyxreferralreason",
    "personal_number": PROTECTED_PN,
    "personal_number_compact": PROTECTED_PN.replace("-", "")[2:],
}


def _found(body: str) -> list[str]:
    return sorted(name for name, marker in MARKERS.items() if marker.lower() in body.lower())


@pytest.fixture
def protected_world(org, make_case):
    """The protected household's case, run by the adult unit's caseworker (granted), with
    everything that can carry text about it."""
    from cases.evictions.services import contacts, deadlines, triage
    from cases.evictions.services import landlord_signals as signals
    from cases.evictions.services.landlord_signals import SignalInput
    from cases.evictions.services.landlords import register_landlord
    from cases.evictions.services.tokens import create_token
    from cases.handovers.services import sending
    from cases.models import Landlord
    from housing import services as housing
    from housing.models import CostCategory

    users = org.users
    coordinator2 = member(
        UserFactory(username="coordinator2", first_name="Cecilia", last_name="Andra"),
        org.units[Unit.Kind.HOUSING_TEAM],
        Role.COORDINATOR,
    )
    today = timezone.localdate()
    # Opened by the coordinator for the caseworker: both are granted the protected person.
    case = make_case(
        assignees=["caseworker"],
        people=[
            person(
                MARKERS["given_name"],
                MARKERS["family_name"],
                PROTECTED_PN,
                address=f"{MARKERS['address']} 7\n113 30 Stockholm",
                phone=MARKERS["phone"],
                email=MARKERS["email"],
                notes=MARKERS["notes"],
                needs_interpreter=True,
                interpreter_language=MARKERS["interpreter"],
                protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
            ),
            person(
                "Cotenant",
                "Plainsson",
                COTENANT_PN,
                address=MARKERS["cotenant_address"],
                notes=MARKERS["cotenant_notes"],
            ),
        ],
        children=[2016],
    )
    caseworker = users["caseworker"]
    contacts.record_contact(
        actor=caseworker,
        case_id=case.pk,
        kind="call",
        on=today,
        reached=True,
        note=MARKERS["contact_note"],
    )
    contacts.record_intervention(
        actor=caseworker,
        case_id=case.pk,
        kind="debt_counselling",
        on=today,
        note=MARKERS["intervention_note"],
    )
    deadlines.add_follow_up(
        actor=caseworker, case=case, due_on=today + timedelta(days=2), note=MARKERS["deadline_note"]
    )
    landlord = register_landlord(
        actor=users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Markörbostäder"
    )
    landlord.districts.add(org.district)
    full_name = f"{MARKERS['given_name']} {MARKERS['family_name']}"
    by_number = signals.register_signal(
        actor=users["coordinator"],
        landlord=landlord,
        data=SignalInput(
            kind="rent_arrears",
            received_on=today,
            channel="phone",
            personal_number=PROTECTED_PN,
            name=full_name,
            address=MARKERS["signal_pn_address"],
            description=MARKERS["signal_pn_description"],
        ),
    )
    other_landlord = register_landlord(
        actor=users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Namnbostäder"
    )
    other_landlord.districts.add(org.district)
    by_name = signals.register_signal(
        actor=users["coordinator"],
        landlord=other_landlord,
        data=SignalInput(
            kind="disturbance",
            received_on=today,
            channel="letter",
            name=full_name,
            description=MARKERS["signal_name_description"],
        ),
    )
    linked = signals.register_signal(
        actor=users["coordinator"],
        landlord=landlord,
        data=SignalInput(
            kind="neglect",
            received_on=today - timedelta(days=40),
            channel="email",
            description=MARKERS["linked_signal_description"],
        ),
    )
    triage.link_signal(
        actor=users["coordinator"],
        signal_id=linked.pk,
        expected_version=linked.version,
        case_id=case.pk,
    )
    handover, _ = sending.send_handover(
        actor=caseworker,
        case_id=case.pk,
        kind="consultation",
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        reason=MARKERS["handover_reason"],
        expectations=MARKERS["handover_expectations"],
    )
    apartment = housing.create_apartment(
        actor=users["coordinator"],
        district_id=org.district.pk,
        kind="training",
        reference="M-1",
        address="Kommunens gata 1",
        rent=Decimal(5000),
        status_since=date(2025, 1, 1),
    )
    placement = housing.start_placement(
        actor=users["coordinator"],
        case_id=case.pk,
        apartment_id=apartment.pk,
        start_on=today - timedelta(days=10),
        guide=users["guide"],
        monthly_cost=Decimal(3000),
        goals={},
        plan=MARKERS["placement_plan"],
    )
    housing.add_progress_note(
        actor=users["coordinator"],
        placement_id=placement.pk,
        on=today,
        note=MARKERS["progress_note"],
    )
    category = CostCategory.objects.create(name="Markörkostnad")
    housing.add_cost_item(
        actor=caseworker,
        case_id=case.pk,
        category=category,
        on=today,
        amount=Decimal(100),
        note=MARKERS["cost_note"],
    )
    from cases.evictions.services import threats
    from cases.evictions.services.threats import ThreatData

    threat = threats.create_threat(
        actor=caseworker,
        case_id=case.pk,
        data=ThreatData(termination_served_on=today, board_notified_on=today),
    )
    from partners import services as partner_services
    from partners.referrals import services as referrals

    partner = partner_services.create_partner(
        actor=users["coordinator"],
        district=org.district,
        data=partner_services.PartnerData(name="Balans", kind="association"),
    )
    referral = referrals.propose_referral(
        actor=caseworker,
        case_id=case.pk,
        data=referrals.ReferralData(
            partner_id=partner.pk,
            person_id=case.household.head_id,
            proposed_on=today,
            consent_on=today,
            share_need=True,
            need=MARKERS["referral_need"],
        ),
    )
    for status, reason in (("sent", ""), ("declined", MARKERS["referral_reason"])):
        referral = referrals.advance_referral(
            actor=caseworker,
            referral_id=referral.pk,
            expected_version=referral.version,
            status=status,
            on=today,
            reason=reason,
        )
    # Reminders and notices about the case (deadline reminders, the handover's notice).
    deadlines.send_due_reminders(today=today)
    from bokvar.models import Notification

    return {
        "org": org,
        "case": case,
        "person": case.household.head,
        "cotenant": case.household.members.exclude(pk=case.household.head_id).get(),
        "signals": [by_number, by_name, linked],
        "handover": handover,
        "placement": placement,
        "apartment": apartment,
        "threat": threat,
        "landlord": landlord,
        "token": create_token(landlord=landlord),
        "coordinator2": coordinator2,
        "deadline": case.deadlines.order_by("pk").first(),
        "intervention": case.interventions.order_by("pk").first(),
        "referral": referral,
        "notifications": list(Notification.objects.order_by("pk")),
    }


def _patterns(resolver=None, prefix=""):
    """Every URL pattern of the product: (name, route regex, parameter names)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the Django admin: see test_admin (numbers, bands, status only)
            yield from _patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, re.findall(r"<(?:\w+:)?(\w+)>", route)


def _values(world) -> dict[str, list]:
    """What each URL parameter is filled with: the protected household's rows."""
    from steering.models import MonthlyReport

    report = MonthlyReport.objects.order_by("pk").first()
    return {
        "case_id": [world["case"].pk],
        "person_id": [world["person"].pk, world["cotenant"].pk],
        "signal_id": [s.pk for s in world["signals"]],
        "handover_id": [world["handover"].pk],
        "placement_id": [world["placement"].pk],
        "apartment_id": [world["apartment"].pk],
        "threat_id": [world["threat"].pk],
        "deadline_id": [world["deadline"].pk],
        "intervention_id": [world["intervention"].pk],
        "landlord_id": [world["landlord"].pk],
        "night_id": [0],
        "cost_id": [0],
        "child_id": [0],
        "hold_id": [0],
        # The auditor's review of an access-log entry (issue 19): a POST-only form.
        "seq": [0],
        "report_id": [report.pk if report else 0],
        "household_id": [world["case"].household_id],
        "item_id": [0],
        # The administrator's second-factor reset of a colleague: no personal data.
        "user_id": [0],
        # Partners and meeting places hold no person (issue 20): walked all the same.
        "partner_id": [0],
        "place_id": [0],
        # Client surveys (issue 20): anonymous answers, no person either.
        "survey_id": [0],
        "question_id": [0],
        "code": ["NOSUCHCODE"],
        # A referral to a partner (issue 20): its need and decline reason are markers.
        "referral_id": [world["referral"].pk],
        # The API's detail routes: signals and handovers.
        "pk": [*(s.pk for s in world["signals"]), world["handover"].pk],
        # A background import's progress page: only its uploader's (issue 22).
        "import_id": [0],
        # The password-reset link of an e-mail (issue 21): a user id and a token.
        "uidb64": ["x"],
        "token": ["x"],
    }


def _urls(world) -> list[str]:
    values = _values(world)
    urls = []
    for route, params in _patterns():
        unknown = [p for p in params if p not in values]
        assert not unknown, f"teach the walk URL parameter(s) {unknown} of {route}"
        combos: list[dict[str, Any]] = [{}]
        for p in params:
            combos = [{**c, p: v} for c in combos for v in values[p]]
        for combo in combos:
            path = route
            for p, v in combo.items():
                path = re.sub(rf"<(?:\w+:)?{p}>", str(v), path)
            path = path.lstrip("^").rstrip("$")
            if "(" in path or "\\" in path:
                continue  # a regex route (static files): no personal data
            urls.append("/" + path)
    return urls


def _walk(client, urls, **headers) -> dict[str, list[str]]:
    leaks = {}
    for url in urls:
        response = client.get(url, **headers)
        body = response.content.decode(errors="replace")
        found = _found(body)
        if found:
            leaks[url] = found
    return leaks


def _readers(world):
    users = world["org"].users
    return {
        "coordinator2 (same district, not granted)": world["coordinator2"],
        "caseworker2 (consulted unit)": users["caseworker2"],
        "guide": users["guide"],
        "steering": users["steering"],
        "admin": users["admin"],
        # Signed in, no role (the product has no meeting-place role on this branch).
        "signed in without a role": UserFactory(username="norole"),
    }


def test_every_url_param_is_known_and_the_walk_covers_many_pages(protected_world):
    urls = _urls(protected_world)
    assert len(urls) > 60
    assert reverse("cases:detail", args=[protected_world["case"].pk]) in urls


def test_the_granted_caseworker_sees_the_markers(client, protected_world):
    """The walk could fail: the markers are on the pages for someone granted."""
    client.force_login(protected_world["org"].users["caseworker"], backend=BACKEND)
    case = protected_world["case"]
    body = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    for name in (
        "given_name",
        "contact_note",
        "deadline_note",
        "linked_signal_description",
        "referral_reason",
    ):
        assert MARKERS[name] in body, name
    referral = client.get(reverse("partners:referral", args=[protected_world["referral"].pk]))
    assert MARKERS["referral_need"] in referral.content.decode()


def test_no_reader_without_a_grant_finds_any_marker(client, protected_world):
    from cases.handovers.services import deciding

    urls = _urls(protected_world)
    leaks: dict[str, dict[str, list[str]]] = {}
    for label, user in _readers(protected_world).items():
        client.force_login(user, backend=BACKEND)
        leaks[label] = _walk(client, urls)
    client.logout()
    leaks["anonymous"] = _walk(client, urls)
    leaks["landlord token"] = _walk(
        client, urls, HTTP_AUTHORIZATION=f"Token {protected_world['token']}"
    )
    # The consulted unit's caseworker accepts the consultation and walks again.
    caseworker2 = protected_world["org"].users["caseworker2"]
    deciding.accept_handover(actor=caseworker2, handover_id=protected_world["handover"].pk)
    client.force_login(caseworker2, backend=BACKEND)
    leaks["caseworker2 after accepting"] = _walk(client, urls)
    leaks = {who: found for who, found in leaks.items() if found}
    total = sum(len(markers) for found in leaks.values() for markers in found.values())
    assert not leaks, f"{total} marker hits: {leaks}"
