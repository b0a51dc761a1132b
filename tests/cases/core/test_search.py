"""Case search keeps identity numbers and names out of URLs: the form is posted,
the text is kept encrypted in the session, result pages carry a token."""

import base64
import json

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from cases.core import search
from tests.case_fixtures import search_cases

pytestmark = pytest.mark.django_db

NUMBER = "19800101-2387"  # cases.a's main tenant


def _as(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_a_search_is_posted_and_the_result_address_holds_no_identity(client, coordinator, cases):
    _as(client, coordinator)
    response = client.post(reverse("cases:list"), {"q": NUMBER, "status": "open"})
    assert response.status_code == 302
    location = response["Location"]
    assert "198001012387" not in location.replace("-", "")
    assert "Adultsson" not in location and "search=" in location and "status=open" in location
    page = client.get(location).content.decode()
    assert cases.a.number in page and cases.b.number not in page
    # The form shows what was searched, on the page only.
    assert f'value="{NUMBER}"' in page


def test_names_are_searched_the_same_way(client, coordinator, cases):
    _as(client, coordinator)
    response = search_cases(client, "astrid adultsson")
    assert response.redirect_chain and "adultsson" not in response.redirect_chain[-1][0].lower()
    assert cases.a.number in response.content.decode()


def test_the_session_keeps_the_search_encrypted(client, coordinator, cases):
    _as(client, coordinator)
    search_cases(client, NUMBER)
    stored = Session.objects.get(session_key=client.session.session_key)
    decoded = json.dumps(stored.get_decoded())
    assert search.SESSION_KEY in decoded
    # Not the number, nor its date part. Not "2387" alone: four digits also occur by
    # chance in the session's timestamps and in its signed text (this failed once).
    assert NUMBER not in decoded and "19800101" not in decoded
    assert NUMBER not in stored.session_data


def test_a_search_in_the_query_string_is_ignored(client, coordinator, cases):
    _as(client, coordinator)
    page = client.get(reverse("cases:list"), {"q": NUMBER}).content.decode()
    # Every visible case is listed: the number in the URL filtered nothing.
    assert cases.a.number in page and cases.b.number in page
    assert f'value="{NUMBER}"' not in page


def test_an_unknown_or_expired_search_says_so(client, coordinator, cases):
    _as(client, coordinator)
    response = client.get(reverse("cases:list"), {"search": "no-such-token"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Sökningen har gått ut. Sök igen." in body
    assert cases.a.number not in body


def test_a_search_kept_under_a_removed_key_is_an_expired_search(
    client, coordinator, cases, settings
):
    """After key rotation removes the old key the remembered search cannot be read: the
    list says the search expired (no 500) and the session forgets it."""
    _as(client, coordinator)
    location = client.post(reverse("cases:list"), {"q": NUMBER})["Location"]
    token = location.split("search=")[1].split("&")[0]
    settings.FIELD_ENCRYPTION_KEYS = "new1:" + base64.b64encode(b"n" * 32).decode()
    response = client.get(location)
    assert response.status_code == 200
    assert "Sökningen har gått ut. Sök igen." in response.content.decode()
    assert cases.a.number not in response.content.decode()
    assert token not in client.session[search.SESSION_KEY]


def test_pagination_links_carry_the_token_not_the_text(client, coordinator, make_case):
    _as(client, coordinator)
    for _ in range(26):
        make_case()
    response = search_cases(client, "Test Testsson")
    body = response.content.decode()
    assert "page=2" in body and "search=" in body
    assert "Testsson" not in response.redirect_chain[-1][0]
    token_url = response.redirect_chain[-1][0]
    second = client.get(token_url + "&page=2").content.decode()
    assert "Sida 2 av 2" in second


def test_only_the_newest_searches_are_kept(client, coordinator, cases):
    _as(client, coordinator)
    first = client.post(reverse("cases:list"), {"q": NUMBER})["Location"]
    for n in range(search.KEPT):
        client.post(reverse("cases:list"), {"q": f"Name Number{n}"})
    assert "Sökningen har gått ut" in client.get(first).content.decode()


def test_a_bad_filter_names_the_field(client, coordinator, cases):
    _as(client, coordinator)
    response = client.post(reverse("cases:list"), {"q": "", "unit": "999999"})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert 'id="id_unit"' in response.content.decode()


@pytest.mark.parametrize("role", ["steering", "auditor"])
def test_roles_without_cases_cannot_search(client, org, role, cases):
    _as(client, org.users[role])
    assert client.post(reverse("cases:list"), {"q": NUMBER}).status_code == 403


def test_anonymous_search_goes_to_sign_in(client, cases):
    response = client.post(reverse("cases:list"), {"q": NUMBER})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert "2387" not in response["Location"]
