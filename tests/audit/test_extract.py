from __future__ import annotations

import json

import pytest
from django.urls import reverse

from audit.extract import build
from audit.models import AccessLogEntry
from cases.evictions.services import contacts
from cases.models import Contact

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_auditor_finds_person_by_identity_number(client, cases, auditor):
    response = _login(client, auditor).post(
        reverse("audit:index"), {"personal_number": "800101-2387"}
    )
    head = cases.a.household.head_id
    assert response.status_code == 302
    assert response.url == reverse("audit:subject", args=[head])
    missing = client.post(reverse("audit:index"), {"personal_number": "19700101-0000"})
    assert missing.status_code == 200
    assert "19700101" not in missing.content.decode()  # the number is never echoed


def test_extract_json_holds_everything_about_the_person(client, cases, caseworker, auditor):
    head = cases.a.household.head_id
    contacts.record_contact(
        actor=caseworker,
        case_id=cases.a.pk,
        kind="call",
        on=cases.a.opened_on,
        reached=True,
        note="Ringde om hyran",
    )
    _login(client, caseworker).get(reverse("cases:detail", args=[cases.a.pk]))
    response = _login(client, auditor).get(reverse("audit:extract_json", args=[head]))
    assert response.status_code == 200
    # The complete dump the readable extract (page, PDF, JSON file) is made from.
    data = build(head)
    assert data["person_id"] == head
    person = data["records"]["cases.person"][0]
    assert person["given_name"] == "Astrid" and person["personal_number"] == "19800101-2387"
    assert person["notes"] == "Skuld hos Kronofogden"
    assert "personal_number_bidx" not in person
    assert [c["id"] for c in data["records"]["cases.case"]] == [cases.a.pk]
    assert sorted(c["birth_year"] for c in data["records"]["cases.householdchild"]) == [2015, 2019]
    assert data["records"]["cases.contact"][0]["note"] == "Ringde om hyran"
    assert data["history"]["cases.person"][0]["family_name"] == "Adultsson"
    assert "cases.case" in data["history"] and "cases.contact" in data["history"]
    # Nothing of other people's cases.
    text = json.dumps(data, ensure_ascii=False) + response.content.decode()
    assert "Bidragsson" not in text and "Skyddadsdotter" not in text
    # The caseworker's read of the case is in it, and producing the extract was logged.
    reads = [(e["user_id"], e["how"]) for e in data["access_log"]]
    assert (caseworker.pk, "page") in reads
    last = AccessLogEntry.objects.order_by("-seq").first()
    assert (last.user_id, last.how, last.person_id) == (auditor.pk, "extract", head)


def test_extract_page_is_printable_and_logged(client, cases, auditor):
    head = cases.a.household.head_id
    before = AccessLogEntry.objects.filter(how="extract").count()
    response = _login(client, auditor).get(reverse("audit:extract", args=[head]))
    assert response.status_code == 200
    assert "Astrid" in response.content.decode()
    assert AccessLogEntry.objects.filter(how="extract").count() == before + 1


@pytest.mark.parametrize("name", ["audit:extract", "audit:extract_json", "audit:subject"])
def test_extract_permissions(client, org, cases, outsider, name):
    head = cases.a.household.head_id
    url = reverse(name, args=[head])
    for username in ("coordinator", "guide", "caseworker", "caseworker2", "steering", "admin"):
        assert _login(client, org.users[username]).get(url).status_code == 403, username
    assert _login(client, outsider).get(url).status_code == 403
    auditor = org.users["auditor"]
    assert _login(client, auditor).get(url).status_code == 200
    assert client.get(reverse(name, args=[999999])).status_code == 404
    if name != "audit:subject":
        assert client.post(url).status_code == 405
    assert AccessLogEntry.objects.filter(object_id=999999).count() == 0
    assert Contact.objects.count() == 0


# --- Completeness against fixtures with known content ------------------------------------

# Every registered model: fill_case (and the test below) puts a row of each on case A.
# A newly registered model fails here until the fixture gives it a row.
WITH_A_ROW = {
    "cases.person",
    "cases.household",
    "cases.householdchild",
    "cases.case",
    "cases.caseassignment",
    "cases.landlordsignal",
    "cases.evictionthreat",
    "cases.paymentroute",
    "cases.contact",
    "cases.intervention",
    "cases.deadline",
    "cases.handover",
    "cases.handoverreadaccess",
    "housing.placement",
    "housing.progressnote",
    "housing.costitem",
    "housing.shelternight",
    "partners.referral",
}


def _ids(rows):
    return sorted(r["id"] for r in rows)


def test_extract_holds_every_registered_record_with_its_known_values(client, org, cases, auditor):
    from datetime import date

    from audit import services
    from audit.registry import registry
    from cases.core.services.access import grant_case_access
    from cases.core.services.cases import update_case
    from cases.evictions.services import landlord_signals as signals
    from cases.models import Deadline, Landlord, LandlordSignal

    from .records import fill_case

    coordinator = org.users["coordinator"]
    made = fill_case(org, cases.a, tag="X7", transfer_to=org.units["income_support"])
    deadline = Deadline.objects.create(
        case=cases.a, threat=made.threat, kind=Deadline.Kind.EVICTION, due_on=date(2031, 3, 4)
    )
    # After the transfer: an assignee of the receiving unit, and an ad hoc grant.
    cases.a.refresh_from_db()
    update_case(
        actor=coordinator,
        case_id=cases.a.pk,
        expected_version=cases.a.version,
        kind=cases.a.kind,
        assignees=[org.users["caseworker2"]],
    )
    grant_case_access(actor=coordinator, case_id=cases.a.pk, user=org.users["guide"])
    # A signal about Astrid never linked to her case: found through the blind index.
    unlinked = signals.register_signal(
        actor=coordinator,
        landlord=Landlord.objects.get(),
        data=signals.SignalInput(
            kind="disturbance",
            received_on=date(2025, 5, 5),
            channel="letter",
            personal_number="800101-2387",
            description="Störningen X7",
        ),
    )
    head = cases.a.household.head_id
    hold = services.place_legal_hold(actor=auditor, person_id=head, reason="Tvisten X7")
    services.release_legal_hold(actor=auditor, hold_id=hold.pk)
    services.place_legal_hold(actor=auditor, person_id=head, reason="Tvisten X8")

    data = build(head)
    records, history = data["records"], data["history"]
    assert set(registry.models) == WITH_A_ROW
    for label, reg in registry.models.items():
        live = sorted(reg.records_of_person(head).values_list("pk", flat=True))
        assert live, label  # the fixture has a row of it
        assert _ids(records[label]) == live, label
        assert history.get(label), label
    text = json.dumps(data, ensure_ascii=False)
    for known in [*made.texts, "Störningen X7", "Tvisten X7", "Tvisten X8"]:
        assert known in text, known
    # Known values, model by model.
    one = {label: rows[0] for label, rows in records.items()}
    assert one["cases.contact"]["note"] == "Kontakten X7"
    assert one["cases.intervention"]["note"] == "Insatsen X7"
    assert one["cases.evictionthreat"]["arrears_amount"] == "12345.00"
    deadlines = {r["id"]: r["due_on"] for r in records["cases.deadline"]}
    assert deadlines[deadline.pk] == "2031-03-04"
    assert one["cases.handover"]["reason"] == "Överlämningen X7"
    assert one["cases.handoverreadaccess"]["id"] == made.read_access.pk
    assert one["housing.placement"]["plan"] == "Planen X7"
    assert one["housing.progressnote"]["note"] == "Uppföljningen X7"
    assert one["housing.costitem"]["note"] == "Kostnaden X7"
    assert one["housing.shelternight"]["night"] == "2025-01-10"
    assert sorted(c["birth_year"] for c in records["cases.householdchild"]) == [2015, 2019]
    signal_rows = {r["id"]: r for r in records["cases.landlordsignal"]}
    assert signal_rows[made.signal.pk]["tenant_name"] == "Hyresgäst X7"
    assert signal_rows[unlinked.pk]["case_id"] is None
    # The history of the unlinked signal is there too.
    assert unlinked.pk in {r["id"] for r in history["cases.landlordsignal"]}
    assert LandlordSignal.history.filter(id=unlinked.pk).count() == sum(
        1 for r in history["cases.landlordsignal"] if r["id"] == unlinked.pk
    )
    # Legal holds on the person, released and active, with their history.
    holds = records["audit.legalhold"]
    assert [(h["reason"], h["released_at"] is None) for h in holds] == [
        ("Tvisten X7", False),
        ("Tvisten X8", True),
    ]
    assert {h["set_by_id"] for h in holds} == {auditor.pk}
    assert len(history["audit.legalhold"]) == 3  # placed, released, placed
    # Access grants on the case: who was let in, when and by whom.
    granted = [
        r
        for r in history["cases.caseuserobjectpermission"]
        if r["user_id"] == org.users["guide"].pk and r["history_type"] == "+"
    ]
    assert granted and all(r["history_user_id"] == coordinator.pk for r in granted)
    assert all(r["content_object_id"] == cases.a.pk and r["history_date"] for r in granted)
    assert org.users["guide"].pk in {
        r["user_id"] for r in records["cases.caseuserobjectpermission"]
    }
    assert "tenant_personal_number_bidx" not in text and "personal_number_bidx" not in text


def test_extract_holds_grants_on_a_protected_person(client, org, cases, auditor):
    from cases.models import PersonUserObjectPermission

    head = cases.p.household.head_id
    grants = PersonUserObjectPermission.objects.filter(content_object_id=head)
    assert grants.exists()
    data = build(head)
    assert _ids(data["records"]["cases.personuserobjectpermission"]) == sorted(
        grants.values_list("pk", flat=True)
    )
    assert {
        r["content_object_id"] for r in data["history"]["cases.personuserobjectpermission"]
    } == {head}
    # Nothing of another person's grants.
    other = build(cases.a.household.head_id)
    assert "cases.personuserobjectpermission" not in other["records"]
