"""The register extract a citizen reads (issue 16, points 6 and 7): Swedish by default,
grouped by topic, local times and display values, no internal ids; complete (a signal
matched only by name, the handover, the notifications about the case); other people's
data withheld with a note."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bokvar.models import Notification, Unit
from tests.case_fixtures import person

pytestmark = pytest.mark.django_db

BACKEND = "django.contrib.auth.backends.ModelBackend"
HEAD_PN = "19700707-1009"
COTENANT_PN = "19720202-1007"


@pytest.fixture
def household_case(org, make_case, django_capture_on_commit_callbacks):
    from cases.evictions.services import contacts, deadlines
    from cases.evictions.services import landlord_signals as signals
    from cases.evictions.services.landlord_signals import SignalInput
    from cases.evictions.services.landlords import register_landlord
    from cases.handovers.services import sending
    from cases.models import Landlord

    users = org.users
    case = make_case(
        assignees=["caseworker"],
        people=[
            person("Hedvig", "Huvudsson", HEAD_PN, notes="Vill bo kvar"),
            person("Kim", "Sambosson", COTENANT_PN, notes="Skuld hos Kronofogden 40 000 kr"),
        ],
        children=[2017],
    )
    today = timezone.localdate()
    contacts.record_contact(
        actor=users["caseworker"],
        case_id=case.pk,
        kind="home_visit",
        on=today,
        reached=True,
        note="Hembesök gjort",
    )
    deadlines.add_follow_up(
        actor=users["caseworker"], case=case, due_on=today + timedelta(days=1), note="Ring igen"
    )
    deadlines.send_due_reminders(today=today)
    landlord = register_landlord(
        actor=users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Extraktbostäder"
    )
    # Named only by name: the product matches it to Hedvig by the name's blind index.
    by_name = signals.register_signal(
        actor=users["coordinator"],
        landlord=landlord,
        data=SignalInput(
            kind="missed_payment",
            received_on=today,
            channel="phone",
            name="Hedvig Huvudsson",
            description="Hyran för maj saknas",
        ),
    )
    # A signal on the household's case naming the co-tenant: about someone else.
    from cases.evictions.services import triage

    about_cotenant = signals.register_signal(
        actor=users["coordinator"],
        landlord=landlord,
        data=SignalInput(
            kind="disturbance",
            received_on=today,
            channel="letter",
            personal_number=COTENANT_PN,
            name="Kim Sambosson",
            description="Störande ljud",
        ),
    )
    triage.link_signal(
        actor=users["coordinator"],
        signal_id=about_cotenant.pk,
        expected_version=about_cotenant.version,
        case_id=case.pk,
    )
    with django_capture_on_commit_callbacks(execute=True):
        handover, _ = sending.send_handover(
            actor=users["caseworker"],
            case_id=case.pk,
            kind="consultation",
            to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
            reason="Behöver försörjningsstöd för hyran",
        )
    return {"case": case, "head": case.household.head, "by_name": by_name, "handover": handover}


def _visible_text(html: str) -> str:
    body = html.split("<main", 1)[-1]
    return re.sub(r"<[^>]+>", " ", body)


def test_the_extract_is_complete_readable_and_swedish(client, org, household_case):
    head = household_case["head"]
    assert Notification.objects.exists()  # the handover's notice and the reminder
    client.force_login(org.users["auditor"], backend=BACKEND)
    response = client.get(reverse("audit:extract", args=[head.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    text = _visible_text(html)
    # Swedish by default, plain words, grouped by topic.
    assert "Registerutdrag" in text
    assert "Varför vi har uppgifterna" in text
    assert "Vilka som har läst dina uppgifter" in text
    for topic in (
        "Personer",
        "Ärenden",
        "Kontakter",
        "Signaler från hyresvärdar",
        "Överlämningar",
        "Notiser",
    ):
        assert topic in text, topic
    # Complete: the signal matched only by name, the handover and the notifications.
    assert "Hyran för maj saknas" in text
    assert "Behöver försörjningsstöd för hyran" in text
    assert "Hembesök gjort" in text
    handover_notice = Notification.objects.filter(url__contains="/handovers/").first()
    assert handover_notice is not None and handover_notice.subject in text
    # Display values, not codes; local times, not UTC.
    assert "Hembesök" in text and "home_visit" not in text
    assert "+00:00" not in text and "T" not in re.findall(r"\d{4}-\d\d-\d\d(T)?", text)
    # Other people's data withheld, with a note: the co-tenant's number and notes.
    assert COTENANT_PN not in text and COTENANT_PN.replace("-", "")[2:] not in text
    assert "Kronofogden 40 000" not in text
    assert "Undanhållen: gäller en annan person" in text
    # No internal ids.
    ids = {
        head.pk,
        household_case["case"].pk,
        household_case["handover"].pk,
        household_case["by_name"].pk,
        head.household_id,
    }
    for pk in ids:
        assert f"#{pk}" not in text
    assert "person_id" not in text and "_id" not in text


def test_the_extract_reads_english_too(client, org, household_case):
    client.force_login(org.users["auditor"], backend=BACKEND)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("audit:extract", args=[household_case["head"].pk]))
    text = _visible_text(response.content.decode())
    assert "Register extract" in text and "Why we hold it" in text


def test_the_json_file_has_the_name_matched_signal_and_the_notifications(
    client, org, household_case
):
    client.force_login(org.users["auditor"], backend=BACKEND)
    response = client.get(reverse("audit:extract_json", args=[household_case["head"].pk]))
    assert response["Content-Disposition"] == 'attachment; filename="registerutdrag.json"'
    data = json.loads(response.content)
    topics = {t["title"]: t["entries"] for t in data["topics"]}
    signals = [e.get("Beskrivning") for e in topics["Signaler från hyresvärdar"]]
    assert "Hyran för maj saknas" in signals
    assert topics["Notiser"]
    text = response.content.decode()
    assert COTENANT_PN not in text and "Kronofogden 40 000" not in text


def test_the_pdf_is_a_file_and_producing_it_is_logged(client, org, household_case):
    from audit.models import AccessLogEntry

    client.force_login(org.users["auditor"], backend=BACKEND)
    before = AccessLogEntry.objects.count()
    response = client.get(reverse("audit:extract_pdf", args=[household_case["head"].pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 1500
    entry = AccessLogEntry.objects.order_by("-seq").first()
    assert AccessLogEntry.objects.count() == before + 1 and entry.how == "extract"


def test_an_extract_is_approved_before_it_is_released_and_both_are_logged(
    client, org, household_case
):
    from audit.models import ExtractRelease

    head = household_case["head"].pk
    url = reverse("audit:extract_review", args=[head])
    auditor = org.users["auditor"]
    client.force_login(auditor, backend=BACKEND)
    # Releasing what nobody approved is refused.
    response = client.post(url, {"step": "release"}, follow=True)
    assert "Granska och godkänn registerutdraget först." in response.content.decode()
    assert not ExtractRelease.objects.exists()
    assert client.post(url, {"step": "publish"}).status_code == 400
    client.post(url, {"step": "approve"})
    release = ExtractRelease.objects.get()
    assert release.approved_by == auditor and release.released_at is None
    page = client.get(reverse("audit:extract", args=[head])).content.decode()
    assert "ännu inte utlämnat" in page
    client.post(url, {"step": "release"})
    release.refresh_from_db()
    assert release.released_by == auditor and release.released_at is not None
    steps = list(release.history.order_by("history_date").values_list("history_user_id", flat=True))
    assert steps == [auditor.pk, auditor.pk]
    # Someone who is not an auditor may do neither.
    client.force_login(org.users["caseworker"], backend=BACKEND)
    assert client.post(url, {"step": "approve"}).status_code in (403, 404)
    assert ExtractRelease.objects.count() == 1
