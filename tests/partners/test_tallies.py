"""A day's tally: the phone form, the checks, corrections without silent overwrites, and
the place's own system posting with its scoped token."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from bokvar.api_clients import hash_key
from bokvar.concurrency import ConflictError
from bokvar.models import ApiClient
from partners import services
from partners.models import DailyTally
from partners.services import TallyInput

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 2)


def form(**overrides):
    data = {
        "day": DAY.isoformat(),
        "visits": 14,
        "new_visitors": 1,
        "women": 5,
        "men": 8,
        "from_this_district": 4,
        "from_other_district": 9,
        "from_other_municipality": 0,
        "activities": 2,
        "participants": 9,
        "meals": 11,
    }
    return {**data, **overrides}


def test_the_phone_form_saves_a_day_and_counts_the_rest_as_unknown(login, skotare, balder):
    client = login(skotare)
    url = reverse("partners:tally", args=[balder.pk])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'inputmode="numeric"' in body and 'name="viewport"' in body
    response = client.post(url, form())
    assert response.status_code == 302
    tally = DailyTally.objects.get(place=balder, day=DAY)
    assert (tally.visits, tally.gender_other_or_unknown, tally.residence_unknown) == (14, 1, 1)
    assert tally.recorded_by == skotare
    assert tally.history.first().history_change_reason == "tally recorded"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"visits": -1}, "visits"),
        ({"visits": "many"}, "visits"),
        ({"new_visitors": 15}, "new_visitors"),
        ({"women": 10, "men": 10}, "women"),
        ({"from_this_district": 10, "from_other_district": 10}, "from_this_district"),
        ({"day": "2026-13-40"}, "day"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(login, skotare, balder, overrides, field):
    response = login(skotare).post(reverse("partners:tally", args=[balder.pk]), form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not DailyTally.objects.exists()


def test_a_future_day_is_refused(login, skotare, balder):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.record_tally(actor=skotare, place=balder, data=TallyInput(day=tomorrow, visits=3))
    assert "day" in exc.value.message_dict


def test_a_day_is_tallied_once_and_corrected_by_version(login, skotare, coordinator, balder):
    first = services.record_tally(actor=skotare, place=balder, data=TallyInput(DAY, 10))
    # A second person entering the same day as new does not overwrite the first.
    with pytest.raises(ValidationError) as exc:
        services.record_tally(actor=coordinator, place=balder, data=TallyInput(DAY, 12))
    assert "day" in exc.value.message_dict
    services.record_tally(
        actor=coordinator, place=balder, data=TallyInput(DAY, 12), expected_version=1
    )
    # The skötare's correction was based on version 1: refused, nothing lost.
    with pytest.raises(ConflictError):
        services.record_tally(
            actor=skotare, place=balder, data=TallyInput(DAY, 11), expected_version=1
        )
    first.refresh_from_db()
    assert (first.visits, first.version) == (12, 2)


def test_the_form_shows_a_conflict_instead_of_overwriting(login, skotare, coordinator, balder):
    services.record_tally(actor=skotare, place=balder, data=TallyInput(DAY, 10))
    services.record_tally(
        actor=coordinator, place=balder, data=TallyInput(DAY, 12), expected_version=1
    )
    response = login(skotare).post(
        reverse("partners:tally", args=[balder.pk]), form(visits=20, version=1)
    )
    assert response.status_code == 200 and response.context["conflict"]
    assert DailyTally.objects.get().visits == 12


def test_skotare_tallies_only_their_own_place(login, skotare, balder, vistet):
    client = login(skotare)
    assert client.get(reverse("partners:tally", args=[vistet.pk])).status_code == 404
    assert client.post(reverse("partners:tally", args=[vistet.pk]), form()).status_code == 404
    assert not DailyTally.objects.filter(place=vistet).exists()


def test_who_may_tally(login, org, outsider, balder):
    url = reverse("partners:tally", args=[balder.pk])
    expected = {
        "coordinator": 200,  # the district's coordinators may enter for a place
        "skotare": 200,
        "admin": 403,  # keeps the register, does not tally
        "guide": 403,
        "caseworker": 403,
        "caseworker2": 403,
        "steering": 403,
        "auditor": 403,
    }
    for username, status in expected.items():
        assert login(org.users[username]).get(url).status_code == status, username
    assert login(outsider).get(url).status_code == 403


# --- The place's own system ---------------------------------------------------------


def _post(client, place, key, body):
    return client.post(
        reverse("api-meeting-place-tallies", args=[place.pk]),
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )


def test_a_token_posts_its_own_places_tally(client, org, balder, vistet):
    key = services.create_place_token(actor=org.users["coordinator"], place_id=balder.pk)
    body = {k: v for k, v in form().items()}
    response = _post(client, balder, key, body)
    assert response.status_code == 201, response.content
    assert response.json()["residence_unknown"] == 1
    tally = DailyTally.objects.get(place=balder)
    assert tally.recorded_by is None
    assert tally.history.first().history_user.username == "bokvar-system"
    # Another place does not exist for this token.
    assert _post(client, vistet, key, body).status_code == 404
    # The same day again needs the version it corrects.
    again = _post(client, balder, key, {**body, "visits": 15})
    assert again.status_code == 400 and "day" in again.json()["errors"]
    fixed = _post(client, balder, key, {**body, "visits": 15, "version": 1})
    assert fixed.status_code == 200 and fixed.json()["version"] == 2


def test_token_input_errors_name_the_field(client, org, balder):
    key = services.create_place_token(actor=org.users["coordinator"], place_id=balder.pk)
    for bad, field in (
        ({"visits": -2}, "visits"),
        ({"day": "yesterday"}, "day"),
        ({"women": 99}, "women"),
        ({"new_visitors": 99}, "new_visitors"),
    ):
        response = _post(client, balder, key, form(**bad))
        assert response.status_code == 400, bad
        assert field in response.json()["errors"], bad
    assert not DailyTally.objects.exists()


def test_a_revoked_or_unknown_token_is_refused(client, org, balder):
    key = services.create_place_token(actor=org.users["coordinator"], place_id=balder.pk)
    services.revoke_place_tokens(actor=org.users["coordinator"], place_id=balder.pk)
    assert _post(client, balder, key, form()).status_code == 401
    assert _post(client, balder, "bkmp_nonsense", form()).status_code == 401
    assert not DailyTally.objects.exists()


def test_the_token_is_stored_only_as_a_hash(org, balder):
    key = services.create_place_token(actor=org.users["coordinator"], place_id=balder.pk)
    token = ApiClient.objects.get(kind=ApiClient.Kind.MEETING_PLACE, subject_id=balder.pk)
    assert key not in (token.key_hash, token.prefix) and token.key_hash == hash_key(key)


def test_a_token_reads_no_report(client, org, balder):
    key = services.create_place_token(actor=org.users["coordinator"], place_id=balder.pk)
    response = client.get(
        reverse("api-meeting-place-report", args=[balder.pk]),
        {"year": 2026},
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code in {401, 403}


def test_only_the_register_keepers_make_tokens(login, org, skotare, balder):
    url = reverse("partners:token_new", args=[balder.pk])
    assert login(skotare).post(url).status_code == 403
    response = login(org.users["coordinator"]).post(url)
    assert response.status_code == 200
    assert response.context["key"].startswith("bk_")
