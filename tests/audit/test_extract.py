from __future__ import annotations

import json

import pytest
from django.urls import reverse

from audit.models import AccessLogEntry
from cases.models import Contact
from cases.workflow import contacts

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
    data = json.loads(response.content)
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
    text = response.content.decode()
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
