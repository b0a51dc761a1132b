"""API clients (issue 21 point 8): one token per integration, of one kind, that reaches its
kind's endpoints and no other (403), expires, is revoked, records its last use without a
write per request, is throttled per client, and reads the schema."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bokvar.api_access import ClientRateThrottle
from bokvar.api_clients import create_client, hash_key, revoke_clients
from bokvar.models import ApiClient
from cases.evictions.services.landlords import register_landlord
from cases.models import Landlord, LandlordSignal
from housing.models import Shelter, ShelterNight, ShelterPrice
from partners import services as partner_services
from partners.models import DailyTally, MeetingPlace, Partner
from partners.services import PartnerData
from steering import periods, snapshots
from tests.shared_data import SHARED, load_organisation, register_layer

pytestmark = pytest.mark.django_db

A = "19800101-2387"  # cases.a's head (tests/case_fixtures.py)
KINDS = ApiClient.Kind.values


def make_subjects(district, users) -> dict:
    landlord = register_landlord(
        actor=users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Familjebostäder"
    )
    shelter = Shelter.objects.create(name="Härbärget Navet", district=district)
    ShelterPrice.objects.create(
        shelter=shelter, valid_from=date(2008, 1, 1), price_per_night=Decimal("400")
    )
    other_shelter = Shelter.objects.create(name="Härbärget Ankaret", district=district)
    ShelterPrice.objects.create(
        shelter=other_shelter, valid_from=date(2008, 1, 1), price_per_night=Decimal("500")
    )
    place = partner_services.create_partner(
        actor=users["coordinator"],
        district=district,
        data=PartnerData(name="Träfflokalen Balder", kind=Partner.Kind.MEETING_PLACE),
    ).meeting_place
    return {
        "landlord": landlord,
        "shelter": shelter,
        "other_shelter": other_shelter,
        "meeting_place": place,
        "district": district,
    }


@register_layer("api_subjects")
def _build_api_subjects_layer() -> dict[str, int]:
    """The subjects, built once for consecutive tests (tests/shared_data.py), and the
    statistics months a steering client's first `/api/v1/stats/` publishes (the report
    of the last full month, as that request asks for it; seconds of work), published
    once with them rather than in each test that reads the statistics."""
    district, _units, users = load_organisation()
    made = make_subjects(district, users)
    snapshots.report_for(district=district, period=periods.last_full_month(timezone.localdate()))
    return {name: subject.pk for name, subject in made.items() if name != "district"}


@pytest.fixture
def api_subjects(org):
    """From the layer above for consecutive tests, else made here (without the months)."""
    ids = SHARED.layer_data("api_subjects")
    if ids is None:
        return make_subjects(org.district, org.users)
    return {
        "landlord": Landlord.objects.get(pk=ids["landlord"]),
        "shelter": Shelter.objects.get(pk=ids["shelter"]),
        "other_shelter": Shelter.objects.get(pk=ids["other_shelter"]),
        "meeting_place": MeetingPlace.objects.get(pk=ids["meeting_place"]),
        "district": org.district,
    }


@pytest.fixture
def subjects(api_subjects):
    return api_subjects


def _client_of(kind: str, subjects: dict, **extra) -> tuple[ApiClient, str]:
    subject = {
        "landlord": subjects["landlord"].pk,
        "shelter": subjects["shelter"].pk,
        "meeting_place": subjects["meeting_place"].pk,
        "steering": None,
    }[kind]
    district = subjects["district"] if kind == "steering" else None
    return create_client(
        kind=kind, name=f"{kind} system", subject_id=subject, district=district, **extra
    )


def _api(key: str | None) -> APIClient:
    api = APIClient()
    if key:
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def _routes(place_id: int, other_id: int) -> list[str]:
    """Every /api/v1/ URL of the project, ids filled with the place's (or any object's)."""

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return sorted(
        "/" + re.sub(r"<int:place_id>", str(place_id), re.sub(r"<int:pk>", str(other_id), r))
        for r in walk(get_resolver().url_patterns)
        if r.startswith("api/v1/")
    )


# The endpoints of each kind; every other /api/v1/ endpoint answers it 403.
OWN = {
    "landlord": {"/api/v1/signals/", "/api/v1/signals/{pk}/"},
    "shelter": {"/api/v1/shelter-nights/"},
    "meeting_place": {"/api/v1/meeting-places/{place}/tallies/"},
    "steering": {"/api/v1/stats/"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_token_reaches_only_its_kinds_endpoints(kind, subjects, cases):
    _client, key = _client_of(kind, subjects)
    api = _api(key)
    place = subjects["meeting_place"].pk
    routes = _routes(place, cases.a.pk)
    own = {r.format(pk=cases.a.pk, place=place) for r in OWN[kind]}
    assert own <= set(routes), own - set(routes)
    assert len(routes) >= 10  # signals, nights, tallies, report, stats, handovers, …
    for route in routes:
        for method in ("get", "post", "put", "patch", "delete"):
            status = getattr(api, method)(route, {}, format="json").status_code
            if route in own:
                assert status not in (401, 403), (kind, method, route, status)
            else:
                assert status == 403, (kind, method, route, status)


def test_each_kind_does_its_one_act(subjects, cases, org):
    _c, landlord_key = _client_of("landlord", subjects)
    signal = _api(landlord_key).post(
        "/api/v1/signals/",
        {"kind": "rent_arrears", "received_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert signal.status_code == 201, signal.content
    assert set(signal.json()) == {"id", "kind", "received_on", "created_at"}
    assert LandlordSignal.objects.get().landlord == subjects["landlord"]

    _c, shelter_key = _client_of("shelter", subjects)
    row = {"personal_number": A, "night": "2026-03-14", "paying_unit": "Vuxenenheten"}
    night = _api(shelter_key).post(
        "/api/v1/shelter-nights/",
        {"nights": [{**row, "shelter": "Härbärget Navet"}]},
        format="json",
    )
    assert night.status_code == 201, night.content
    assert ShelterNight.objects.get().shelter == subjects["shelter"]
    # Its own shelter only: another shelter's name is as unknown as a made-up one.
    other = _api(shelter_key).post(
        "/api/v1/shelter-nights/",
        {"nights": [{**row, "night": "2026-03-15", "shelter": "Härbärget Ankaret"}]},
        format="json",
    )
    assert other.status_code == 400
    assert other.json()["errors"][0]["reason"].startswith("härbärge: okänt härbärge")
    # A night held at another shelter is refused without naming that shelter.
    _c, ankaret_key = create_client(
        kind="shelter", name="Ankaret", subject_id=subjects["other_shelter"].pk
    )
    taken = _api(ankaret_key).post(
        "/api/v1/shelter-nights/",
        {"nights": [{**row, "shelter": "Härbärget Ankaret"}]},
        format="json",
    )
    assert taken.status_code == 400
    assert "Navet" not in taken.content.decode()
    assert ShelterNight.objects.count() == 1

    _c, place_key = _client_of("meeting_place", subjects)
    place = subjects["meeting_place"]
    tally = _api(place_key).post(
        f"/api/v1/meeting-places/{place.pk}/tallies/",
        {"day": timezone.localdate().isoformat(), "visits": 3},
        format="json",
    )
    assert tally.status_code == 201, tally.content
    assert DailyTally.objects.get().place == place

    _c, steering_key = _client_of("steering", subjects)
    stats = _api(steering_key).get("/api/v1/stats/")
    assert stats.status_code == 200, stats.content


@pytest.mark.parametrize("kind", KINDS)
def test_any_valid_token_reads_the_schema_and_no_other_does(kind, subjects):
    client, key = _client_of(kind, subjects)
    schema = _api(key).get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert "apiClientToken" in schema.json()["components"]["securitySchemes"]
    revoke_clients(kind=kind, pk=client.pk)
    assert _api(key).get("/api/schema/").status_code == 401
    assert _api("bk_made_up").get("/api/schema/").status_code == 401
    assert _api(None).get("/api/schema/").status_code in (401, 403)


def test_the_docs_are_served_offline_and_load_the_schema_with_the_token(subjects):
    page = _api(None).get("/api/docs/")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    script = _api(None).get("/api/docs/?script=")
    assert script.status_code == 200
    # Swagger UI sends the token given under "Authorize" when it loads the schema.
    assert "apiClientToken" in script.content.decode()


def test_an_expired_token_is_refused(subjects):
    _client, key = _client_of("steering", subjects, valid_for=timedelta(seconds=-1))
    assert _api(key).get("/api/v1/stats/").status_code == 401
    _client, fresh = _client_of("steering", subjects)
    assert _api(fresh).get("/api/v1/stats/").status_code == 200


def test_only_a_hash_is_stored_and_the_token_is_shown_once(subjects):
    out = StringIO()
    call_command(
        "api_client", "create", "--kind", "shelter", "--name", "Navet",
        "--subject", str(subjects["shelter"].pk), stdout=out,
    )  # fmt: skip
    key = out.getvalue().strip()
    client = ApiClient.objects.get(name="Navet")
    assert client.key_hash == hash_key(key) and key not in (client.key_hash, client.prefix)
    assert client.expires_at > timezone.now() + timedelta(days=300)
    assert client.history.first().history_change_reason == "API client created"
    listing = StringIO()
    call_command("api_client", "list", stdout=listing)
    assert "Navet" in listing.getvalue() and key not in listing.getvalue()
    call_command("api_client", "revoke", str(client.pk), stdout=StringIO())
    assert _api(key).post("/api/v1/shelter-nights/", {}, format="json").status_code == 401
    with pytest.raises(CommandError, match="--subject"):
        call_command("api_client", "create", "--kind", "landlord", "--name", "X")
    with pytest.raises(CommandError, match="--subject"):
        call_command(
            "api_client", "create", "--kind", "landlord", "--name", "X", "--subject", "999999"
        )
    with pytest.raises(CommandError, match="--district"):
        call_command("api_client", "create", "--kind", "steering", "--name", "X")


def _updates_of_clients(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "bokvar_apiclient"')]


def test_the_last_use_is_recorded_at_most_once_a_minute(subjects):
    client, key = _client_of("steering", subjects)
    api = _api(key)
    assert client.last_used_at is None
    with CaptureQueriesContext(connection) as first:
        assert api.get("/api/v1/stats/").status_code == 200
    client.refresh_from_db()
    assert client.last_used_at is not None and len(_updates_of_clients(first)) == 1
    with CaptureQueriesContext(connection) as second:
        assert api.get("/api/v1/stats/").status_code == 200
    assert _updates_of_clients(second) == []
    ApiClient.objects.filter(pk=client.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=2)
    )
    with CaptureQueriesContext(connection) as later:
        assert api.get("/api/v1/stats/").status_code == 200
    assert len(_updates_of_clients(later)) == 1
    # No history row per use: only the creation's.
    assert client.history.count() == 1


def test_the_request_after_the_rate_in_a_window_is_429(subjects, monkeypatch):
    monkeypatch.setitem(ClientRateThrottle.THROTTLE_RATES, "steering", "3/min")
    _client, key = _client_of("steering", subjects)
    _other, other_key = _client_of("steering", subjects)
    api = _api(key)
    for _ in range(3):
        assert api.get("/api/v1/stats/").status_code == 200
    refused = api.get("/api/v1/stats/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0 and "detail" in refused.json()
    # Counted per client: another client of the same kind is not held back.
    assert _api(other_key).get("/api/v1/stats/").status_code == 200


def test_a_staff_session_is_not_throttled_by_the_clients_rates(org, subjects, monkeypatch):
    # `subjects` for its layer only: the statistics months are published there once.
    monkeypatch.setitem(ClientRateThrottle.THROTTLE_RATES, "steering", "1/min")
    api = APIClient()
    api.force_login(org.users["steering"], backend="django.contrib.auth.backends.ModelBackend")
    assert [api.get("/api/v1/stats/").status_code for _ in range(3)] == [200, 200, 200]


def test_the_admin_lists_and_revokes_but_never_creates(client, org, subjects, settings):
    api_client, key = _client_of("landlord", subjects)
    admin = org.users["admin"]
    settings.BREAK_GLASS_USERNAMES = [admin.username]  # only a break-glass account may be one
    admin.is_staff = admin.is_superuser = True
    admin.save(update_fields=["is_staff", "is_superuser"])
    client.force_login(admin, backend="django.contrib.auth.backends.ModelBackend")
    listing = client.get(reverse("admin:bokvar_apiclient_changelist"))
    assert listing.status_code == 200 and api_client.prefix in listing.content.decode()
    assert (
        key not in listing.content.decode() and api_client.key_hash not in listing.content.decode()
    )
    assert client.get(reverse("admin:bokvar_apiclient_add")).status_code == 403
    response = client.post(
        reverse("admin:bokvar_apiclient_changelist"),
        {"action": "revoke", "_selected_action": [api_client.pk]},
    )
    assert response.status_code == 302
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert api_client.history.first().history_user == admin
    assert _api(key).get("/api/v1/signals/").status_code == 401


def test_an_api_path_no_pattern_matches_answers_json(subjects):
    """Found by schemathesis: /api/v1/signals/-1/ matched no URL pattern and the HTML
    error page answered an API client."""
    _client, key = _client_of("landlord", subjects)
    response = _api(key).get("/api/v1/signals/-1/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
