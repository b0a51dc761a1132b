"""Signals API: landlord tokens, receipts of one's own only, staff with their permissions,
bad input with clear errors and nothing saved, and the OpenAPI schema."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bokvar.api_clients import hash_key
from bokvar.models import ApiClient
from cases.models import LandlordSignal

from .conftest import OTHER_PN, TENANT_PN

pytestmark = pytest.mark.django_db


def _post(client, payload):
    return client.post("/api/v1/signals/", payload, format="json")


def test_landlord_creates_signal_and_reads_own_receipts(token, api_as, signal_payload):
    client = api_as(token)
    response = _post(client, signal_payload())
    assert response.status_code == 201
    receipt = response.json()
    assert set(receipt) == {"id", "kind", "received_on", "created_at"}
    listing = client.get("/api/v1/signals/").json()
    assert [r["id"] for r in listing["results"]] == [receipt["id"]]
    detail = client.get(f"/api/v1/signals/{receipt['id']}/").json()
    assert "description" not in detail and "status" not in detail


def test_landlord_cannot_read_another_landlords_signals(token, other_token, api_as, signal_payload):
    mine = _post(api_as(token), signal_payload()).json()["id"]
    other = api_as(other_token)
    assert other.get(f"/api/v1/signals/{mine}/").status_code == 404
    assert other.get("/api/v1/signals/").json()["results"] == []


def test_landlord_token_reaches_nothing_else(token, api_as, cases):
    client = api_as(token)
    # The schema (issue 21 point 8: readable with any valid token), but no page of cases.
    assert client.get("/api/schema/").status_code == 200
    assert client.get(f"/cases/{cases.a.pk}/").status_code == 302  # to the login page
    assert client.get("/cases/signals/").status_code == 302


def test_revoked_or_wrong_token_is_refused(landlord, token, api_as, signal_payload):
    assert _post(api_as("bk_wrong"), signal_payload()).status_code == 401
    out = StringIO()
    call_command("create_landlord_token", "Familjebostäder", "--revoke", stdout=out)
    assert "Revoked 1" in out.getvalue()
    assert _post(api_as(token), signal_payload()).status_code == 401
    assert LandlordSignal.objects.count() == 0


def test_command_prints_token_stored_only_hashed(landlord, api_as, signal_payload):
    out = StringIO()
    call_command("create_landlord_token", "familjebostäder", stdout=out)
    key = out.getvalue().strip()
    stored = ApiClient.objects.get(kind=ApiClient.Kind.LANDLORD, subject_id=landlord.pk)
    assert stored.key_hash == hash_key(key) and key not in stored.key_hash
    assert _post(api_as(key), signal_payload()).status_code == 201


def test_command_unknown_landlord(org):
    with pytest.raises(CommandError, match="No landlord"):
        call_command("create_landlord_token", "Ingen Sådan AB")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"personal_number": "19720304-2381"}, "personal_number"),
        ({"kind": "burglary"}, "kind"),
        ({"received_on": "2026-13-40"}, "received_on"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"arrears_amount": "-5"}, "arrears_amount"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    token, api_as, signal_payload, overrides, field
):
    response = _post(api_as(token), signal_payload(**overrides))
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert LandlordSignal.objects.count() == 0


def test_malformed_json(token, api_as):
    response = api_as(token).post(
        "/api/v1/signals/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]
    assert LandlordSignal.objects.count() == 0


def test_staff_read_with_their_own_permissions(org, token, api_as, signal_payload, make_case):
    from cases.evictions.services import triage as signals

    # Two tenants: a second signal for the same tenant would follow the first as a repeat.
    ids = [
        _post(api_as(token), signal_payload(kind=k, personal_number=pn)).json()["id"]
        for k, pn in (("neglect", TENANT_PN), ("other", OTHER_PN))
    ]
    coordinator = api_as(user=org.users["coordinator"])
    listing = coordinator.get("/api/v1/signals/").json()["results"]
    assert {r["id"] for r in listing} == set(ids)
    assert listing[0]["description"]
    # A caseworker sees only the signal linked to a case of theirs.
    case = make_case(assignees=["caseworker"])
    signals.link_signal(
        actor=org.users["coordinator"], signal_id=ids[0], expected_version=1, case_id=case.pk
    )
    caseworker = api_as(user=org.users["caseworker"])
    assert [r["id"] for r in caseworker.get("/api/v1/signals/").json()["results"]] == [ids[0]]
    assert caseworker.get(f"/api/v1/signals/{ids[1]}/").status_code == 404
    # Staff do not post signals through the landlord endpoint.
    assert _post(coordinator, signal_payload()).status_code == 403
    for user in ("steering", "auditor", "admin"):
        assert api_as(user=org.users[user]).get("/api/v1/signals/").status_code == 403
    assert api_as().get("/api/v1/signals/").status_code in (401, 403)
    assert coordinator.delete(f"/api/v1/signals/{ids[0]}/").status_code == 405


def test_schema_generation_includes_signals(org, api_as):
    response = api_as(user=org.users["coordinator"]).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/signals/" in schema["paths"]
    assert "apiClientToken" in schema["components"]["securitySchemes"]
    assert api_as(user=org.users["coordinator"]).get("/api/docs/").status_code == 200


def _api_paths(cases):
    """Every API URL of the project, with ids of real objects where a path needs one."""
    from django.urls import URLResolver, get_resolver

    def walk(resolver, prefix=""):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    for route in walk(get_resolver()):
        if route.startswith("api/"):
            # Every integer id (pk, place_id, ...) filled, so the route itself is reached.
            yield "/" + re.sub(r"<int:\w+>", str(cases.a.pk), route)


def test_a_landlord_token_opens_no_other_api_endpoint(token, api_as, cases):
    client = api_as(token)
    # The schema and its documentation are every client's (tests/bokvar/test_api_clients.py).
    paths = [
        p
        for p in _api_paths(cases)
        if p.startswith("/api/v1/") and not p.startswith("/api/v1/signals/")
    ]
    assert "/api/v1/handovers/" in paths and "/api/v1/stats/" in paths
    for path in paths:
        for method in ("get", "post"):
            status = getattr(client, method)(path).status_code
            assert status in (401, 403, 405), (method, path, status)


def test_the_api_documentation_loads_nothing_from_other_hosts(org, api_as):
    import re

    client = api_as(user=org.users["coordinator"])
    for path in ("/api/docs/",):
        html = client.get(path).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert sources, "the page loads its scripts and styles"
        external = [s for s in sources if s.startswith(("http:", "https:", "//"))]
        assert not external, external
