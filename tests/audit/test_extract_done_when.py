"""Issue 16, "Done when": the extract of a demo person with a household, a signal matched
by name, a handover and notifications lists all of them, in Swedish, with no internal id
and no other person's identity number, on the page, in the PDF and in the JSON file;
who has read the data is told with unit and role."""

from __future__ import annotations

import json
import re
import zlib

import pytest
from django.urls import reverse
from django.utils import timezone

from bokvar.models import Notification, User
from cases.models import Case, Handover, Landlord, LandlordSignal, Person

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
COTENANT_PN = "19750505-5553"  # not a demo number (the demo's are generated)
SIGNAL_TEXT = "Namnsignalen gäller hyran för juni"


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[-1])


def _pdf_text(pdf: bytes) -> str:
    """The text drawn in the PDF: its content streams, inflated (fpdf2 compresses them)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(out)


def _forms(number: str) -> list[str]:
    digits = number.replace("-", "")
    return [number, digits, digits[2:], f"{digits[2:8]}-{digits[8:]}"]


@pytest.fixture
def demo_person(demo_seeded, django_capture_on_commit_callbacks):
    """A demo household's main tenant whose case had a handover (with its notifications),
    given what the demo leaves to chance: a co-tenant with an identity number of their
    own, and a landlord signal naming the tenant only by name."""
    from bokvar.history import attribute
    from cases.core.services.people import PersonData, apply_person_data
    from cases.evictions.services import landlord_signals
    from cases.evictions.services.landlord_signals import SignalInput

    handover = Handover.objects.select_related("case__household__head").order_by("pk").first()
    assert handover is not None, "the demo has handovers"
    case: Case = handover.case
    head = case.household.head
    coordinator = User.objects.get(username="coordinator")
    cotenant = Person(household=case.household)
    apply_person_data(
        cotenant,
        PersonData(
            given_name="Demo",
            family_name="Sambo",
            personal_number=COTENANT_PN,
            notes="Egen skuld hos Kronofogden 31 000 kr",
        ),
    )
    attribute(cotenant, user=coordinator, reason="test: a co-tenant").save()
    with django_capture_on_commit_callbacks(execute=True):
        signal = landlord_signals.register_signal(
            actor=coordinator,
            landlord=Landlord.objects.order_by("pk").first(),
            data=SignalInput(
                kind="missed_payment",
                received_on=timezone.localdate(),
                channel="phone",
                name=head.full_name,
                description=SIGNAL_TEXT,
            ),
        )
    assert signal.tenant_personal_number_bidx == "" and signal.case_id is None
    # A signal on the household's case naming the co-tenant: about someone else.
    from cases.evictions.services import triage

    about_cotenant = landlord_signals.register_signal(
        actor=coordinator,
        landlord=Landlord.objects.order_by("pk").first(),
        data=SignalInput(
            kind="disturbance",
            received_on=timezone.localdate(),
            channel="letter",
            personal_number=COTENANT_PN,
            name="Demo Sambo",
            description="Störande ljud hos sambon",
        ),
    )
    if about_cotenant.status == LandlordSignal.Status.UNTRIAGED:
        triage.link_signal(
            actor=coordinator,
            signal_id=about_cotenant.pk,
            expected_version=about_cotenant.version,
            case_id=case.pk,
        )
    notices = Notification.objects.filter(url=reverse("cases:handover", args=[handover.pk]))
    if not notices.exists():
        # What sending the handover does once its transaction commits (the shared demo
        # database is built inside one, so the notice may not be there).
        from cases.handovers import selectors as handover_selectors
        from cases.handovers.services.sending import notify_unit

        notify_unit(
            handover,
            unit_id=handover.to_unit_id,
            kind="handover_sent",
            subject=handover_selectors.describe(handover),
        )
    assert notices.exists(), "sending the handover notified its receivers"
    return {
        "head": head,
        "case": case,
        "cotenant": cotenant,
        "handover": handover,
        "signal": signal,
        "notice": notices.first(),
    }


def _ids(d) -> list[int]:
    return [
        d["head"].pk,
        d["case"].pk,
        d["case"].household_id,
        d["cotenant"].pk,
        d["handover"].pk,
        d["signal"].pk,
        d["notice"].pk,
    ]


def test_page_pdf_and_json_list_everything_in_swedish_without_ids_or_others_numbers(
    client, demo_person
):
    d = demo_person
    client.force_login(User.objects.get(username="auditor"), backend=BACKEND)
    head = d["head"].pk
    # A read by a caseworker, to be told with unit and role.
    page = _visible(client.get(reverse("audit:extract", args=[head])).content.decode())
    pdf = _pdf_text(client.get(reverse("audit:extract_pdf", args=[head])).content)
    raw_json = client.get(reverse("audit:extract_json", args=[head])).content.decode()
    data = json.loads(raw_json)
    topics = {t["title"]: t["entries"] for t in data["topics"]}

    handover_reason = d["handover"].reason
    for text, where in ((page, "page"), (raw_json, "json")):
        # Swedish, and everything listed: household, name-matched signal, handover, notices.
        for expected in (
            d["head"].given_name,
            d["head"].family_name,
            SIGNAL_TEXT,
            handover_reason,
            d["notice"].subject,
            d["case"].number,
            "Personer",
            "Signaler från hyresvärdar",
            "Överlämningar",
            "Notiser",
        ):
            assert expected in text, (where, expected)
        # Nothing of the co-tenant: their own record is not part of this person's
        # extract, and the signal on the case naming them is redacted, with a note.
        for form in _forms(COTENANT_PN):
            assert form not in text, (where, form)
        assert "Kronofogden 31 000" not in text and "Sambo" not in text, where
        assert "Undanhållen: gäller en annan person" in text, where
    assert "Registerutdrag" in page and "Vilka som har läst dina uppgifter" in page
    assert "Enhet och roll" in page
    # No internal ids: no "#12", no id columns, no id keys in the JSON.
    for pk in _ids(d):
        assert f"#{pk}" not in page
    assert "_id" not in page and "_id" not in raw_json
    assert not [k for t in data["topics"] for e in t["entries"] for k in e if k.lower() == "id"]
    keys = {k for r in data["reads"] for k in r}
    assert keys == {"at", "who", "unit_and_role", "how"}
    assert set(topics) >= {"Personer", "Ärenden", "Överlämningar", "Notiser"}
    # The PDF: the same words (Latin-1 core fonts), no other person's number.
    for expected in ("Registerutdrag", d["head"].family_name, "Signaler fr", "Notiser"):
        assert expected in pdf, expected
    for form in _forms(COTENANT_PN):
        assert form not in pdf, form
    assert "Kronofogden 31 000" not in pdf and "Sambo" not in pdf
    assert "Undanh" in pdf


def test_who_has_read_it_gives_unit_and_role(client, demo_person):
    d = demo_person
    caseworker = User.objects.get(username="coordinator")
    client.force_login(caseworker, backend=BACKEND)
    assert client.get(reverse("cases:detail", args=[d["case"].pk])).status_code == 200
    client.force_login(User.objects.get(username="auditor"), backend=BACKEND)
    data = json.loads(
        client.get(reverse("audit:extract_json", args=[d["head"].pk])).content.decode()
    )
    mine = [r for r in data["reads"] if r["who"] == caseworker.get_full_name()]
    assert mine, data["reads"]
    unit = caseworker.memberships.get().unit.name
    assert mine[-1]["unit_and_role"] == f"{unit} (bosamordnare)"
    assert mine[-1]["how"]


def test_a_reader_without_a_unit_is_not_named(client, org, cases):
    """The rule of `audit.presentation._reads`: no post at the time, no name."""
    from audit import chain

    nobody = User.objects.create(username="utan-enhet", first_name="Ingen", last_name="Enhet")
    head = cases.a.household.head_id
    chain.append(
        user_id=nobody.pk,
        object_type="cases.case",
        object_id=cases.a.pk,
        how="page",
        ip="127.0.0.1",
        person_id=head,
        case_id=cases.a.pk,
        unit_id=cases.a.responsible_unit_id,
    )
    client.force_login(org.users["auditor"], backend=BACKEND)
    data = json.loads(client.get(reverse("audit:extract_json", args=[head])).content.decode())
    assert "Ingen Enhet" not in json.dumps(data, ensure_ascii=False)
    assert {"at", "who", "unit_and_role", "how"} <= set(data["reads"][0])
    assert any(
        r["who"] == "En medarbetare utan enhet" and r["unit_and_role"] == "" for r in data["reads"]
    )


def test_a_signal_matched_by_name_brings_its_notifications(client, org, cases):
    """A notification about a signal that names the person only by name (not linked to
    their case) is about them: it is in the extract."""
    from bokvar.notifications import notify
    from cases.evictions.services import landlord_signals
    from cases.evictions.services.landlord_signals import SignalInput
    from cases.evictions.services.landlords import register_landlord

    landlord = register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Namnvärden"
    )
    head = cases.a.household.head
    signal = landlord_signals.register_signal(
        actor=org.users["coordinator"],
        landlord=landlord,
        data=SignalInput(
            kind="missed_payment",
            received_on=timezone.localdate(),
            channel="phone",
            name=head.full_name,
        ),
    )
    assert LandlordSignal.objects.get(pk=signal.pk).case_id is None
    notify(
        recipients=[org.users["coordinator"]],
        kind="signal_routed",
        dedupe_key="test:name-signal",
        subject="Notisen om namnsignalen",
        url=reverse("cases:signal", args=[signal.pk]),
    )
    client.force_login(org.users["auditor"], backend=BACKEND)
    page = client.get(reverse("audit:extract", args=[head.pk])).content.decode()
    assert "Notisen om namnsignalen" in page


def test_a_registration_request_about_the_person_is_in_their_extract(client, org, cases):
    """Someone out of sight registered Astrid's number: the request routed about her is
    data about her (its text names only the colleague)."""
    from cases.core.services.cases import register_case
    from cases.core.services.people import PersonData

    actor = org.users["caseworker2"]
    made = register_case(
        actor=actor,
        kind=Case.Kind.EVICTION_PREVENTION,
        responsible_unit=org.units["income_support"],
        assignees=[actor],
        people=[PersonData(given_name="A", family_name="B", personal_number="19800101-2387")],
        children_birth_years=[],
    )
    assert made is None
    note = Notification.objects.get(kind="registration_refused")
    client.force_login(org.users["auditor"], backend=BACKEND)
    page = client.get(reverse("audit:extract", args=[cases.a.household.head_id])).content
    assert note.subject in page.decode()
    other = client.get(reverse("audit:extract", args=[cases.b.household.head_id])).content
    assert note.subject not in other.decode()
