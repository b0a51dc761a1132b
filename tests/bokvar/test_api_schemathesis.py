"""schemathesis against the live schema, for every kind of API client (issue 21 point 8,
"Done when": 0 server errors and 0 schema violations).

Each kind loads the schema with its own token (the schema is served per reader, so it
holds that kind's endpoints with the serializers its requests get), then every operation
is called through the project's WSGI application with generated requests, valid and
invalid, and each response is checked: no 5xx, a documented status code, the documented
content type, a body that matches the documented schema. Bounded by MAX_EXAMPLES per
operation and mode so the whole file stays well under a minute after set-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bokvar.api_access import ClientRateThrottle
from bokvar.api_clients import create_client
from bokvar.models import ApiClient
from cases.evictions.services.landlords import register_landlord
from cases.models import Landlord
from housing.models import Shelter, ShelterPrice
from partners import services as partner_services
from partners.models import Partner
from partners.services import PartnerData

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def in_process_app(settings, monkeypatch):
    """The project's WSGI application, served in the test's transaction: as Django's test
    client does, a request does not close the test's database connection."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # Generated requests come fast; the throttle is tested on its own (test_api_clients).
    for kind in ApiClient.Kind.values:
        monkeypatch.setitem(ClientRateThrottle.THROTTLE_RATES, kind, "100000/min")
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _subject(kind: str, org) -> dict:
    if kind == "landlord":
        landlord = register_landlord(
            actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Familjebostäder"
        )
        return {"subject_id": landlord.pk}
    if kind == "shelter":
        shelter = Shelter.objects.create(name="Härbärget Navet", district=org.district)
        ShelterPrice.objects.create(
            shelter=shelter, valid_from=date(2008, 1, 1), price_per_night=Decimal("400")
        )
        return {"subject_id": shelter.pk}
    if kind == "meeting_place":
        place = partner_services.create_partner(
            actor=org.users["coordinator"],
            district=org.district,
            data=PartnerData(name="Träfflokalen Balder", kind=Partner.Kind.MEETING_PLACE),
        ).meeting_place
        return {"subject_id": place.pk}
    return {"district": org.district}


@pytest.mark.parametrize("kind", ApiClient.Kind.values)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    kind, org, cases, in_process_app
):
    _client, key = create_client(kind=kind, name=f"{kind} system", **_subject(kind, org))
    headers = {"Authorization": f"Token {key}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", in_process_app, headers=headers
    )
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES,
                # The same examples on every run: CI is not flaky; a change of the schema
                # or the code changes what is generated.
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Exception as exc:  # every operation is tried; all failures are reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert operations >= 1
    assert not failures, "\n\n".join(failures)
