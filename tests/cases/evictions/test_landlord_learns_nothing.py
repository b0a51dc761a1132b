"""Issue 21, point 5: nothing a landlord's token can read depends on what social services
know or did about the tenant. Whether someone is a client of social services is itself
secret (offentlighets- och sekretesslagen 26 kap. 1 §).

The landlord does the same things in every scenario: it sends a signal, social services
handle it differently (nothing; linked to an open case; linked to a case of a tenant with
a protected identity; dismissed), the landlord sends a second signal about the same tenant,
then reads its list and both receipts. Apart from ids and times, every answer is the
same byte for byte."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone

from cases.evictions.services import triage
from cases.evictions.services.landlords import register_landlord
from cases.evictions.services.tokens import create_token
from cases.models import LandlordSignal, ProtectedIdentity
from tests.case_fixtures import person

from .conftest import valid_pn

pytestmark = pytest.mark.django_db

ID_OR_TIME = re.compile(rb'("id":\s*)\d+|/signals/\d+/|\d{4}-\d\d-\d\dT[0-9:.+-]+Z?')


def _normalise(body: bytes) -> bytes:
    """Ids and times differ between scenarios by nature: replaced, all else kept."""

    def blank(m: re.Match) -> bytes:
        if m.group(1):
            return m.group(1) + b"0"
        return b"/signals/0/" if m.group(0).startswith(b"/") else b"T"

    return ID_OR_TIME.sub(blank, body)


def _landlord_view(org, api_as, payload, scenario: str, pn: str, make_case) -> list[bytes]:
    landlord = register_landlord(
        actor=org.users["admin"], kind="housing_company", name=f"Värd {scenario}"
    )
    client = api_as(create_token(landlord=landlord))
    first = client.post("/api/v1/signals/", payload(personal_number=pn), format="json")
    assert first.status_code == 201, first.content
    signal = LandlordSignal.objects.get(pk=first.json()["id"])
    coordinator = org.users["coordinator"]
    if scenario in ("client", "protected"):
        extra = (
            {"protected_identity": ProtectedIdentity.PROTECTED_REGISTRATION}
            if scenario == "protected"
            else {}
        )
        case = make_case(
            assignees=["caseworker"], people=[person("Tove", "Hyresgästsson", pn, **extra)]
        )
        triage.link_signal(
            actor=coordinator, signal_id=signal.pk, expected_version=signal.version, case_id=case.pk
        )
    elif scenario == "dismissed":
        triage.dismiss_signal(
            actor=coordinator,
            signal_id=signal.pk,
            expected_version=signal.version,
            reason="Inget att göra",
        )
    second = client.post("/api/v1/signals/", payload(personal_number=pn), format="json")
    answers = [first, second, client.get("/api/v1/signals/")]
    answers += [client.get(f"/api/v1/signals/{r.json()['id']}/") for r in (first, second)]
    assert [a.status_code for a in answers] == [201, 201, 200, 200, 200]
    return [_normalise(a.content) for a in answers]


def test_landlord_answers_are_identical_whatever_the_tenants_status(
    org, api_as, signal_payload, make_case
):
    scenarios = {
        "unknown": valid_pn(1981, 2, 3, 123),
        "client": valid_pn(1982, 3, 4, 234),
        "protected": valid_pn(1983, 4, 5, 345),
        "dismissed": valid_pn(1984, 5, 6, 456),
    }
    views = {
        name: _landlord_view(org, api_as, signal_payload, name, pn, make_case)
        for name, pn in scenarios.items()
    }
    differing = {
        name: [
            (i, json.loads(a), json.loads(b))
            for i, (a, b) in enumerate(zip(view, views["unknown"], strict=True))
            if a != b
        ]
        for name, view in views.items()
        if view != views["unknown"]
    }
    summary = {name: [i for i, _, _ in diffs] for name, diffs in differing.items()}
    assert not differing, (summary, differing)


def test_a_receipt_says_only_that_and_when_it_was_received(org, api_as, token, signal_payload):
    response = api_as(token).post("/api/v1/signals/", signal_payload(), format="json")
    assert response.status_code == 201
    receipt = response.json()
    assert set(receipt) == {"id", "kind", "received_on", "created_at"}
    assert receipt["received_on"] == timezone.localdate().isoformat()
