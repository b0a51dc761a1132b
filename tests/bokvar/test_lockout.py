"""Issue 21, point 6: the lock-out counts failures per account across addresses and per
address across accounts; a locked account still signs in with its second factor."""

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bokvar.second_factor import current_code
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _try(client, username, password, ip):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _code(username):
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return current_code(device)


def test_spraying_many_accounts_from_one_address_locks_the_address(client, org, settings):
    sprayed = [f"staff{i}" for i in range(settings.AXES_IP_FAILURE_LIMIT)]
    for name in sprayed:
        _try(client, name, "Summer2026!", "203.0.113.7")
    # Even the right password for a real account is refused from that address now...
    locked = _try(client, "coordinator", DEMO_PASSWORD, "203.0.113.7")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # ...but not from another.
    other = _try(client, "coordinator", DEMO_PASSWORD, "198.51.100.1")
    assert other.status_code == 302 and other["Location"] == reverse("login-code")


def test_guessing_one_account_from_many_addresses_locks_the_password_step(client, org, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _try(client, "guide", f"guess-{i}", f"203.0.113.{10 + i}")
    locked = _try(client, "guide", DEMO_PASSWORD, "198.51.100.2")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_locked_account_signs_in_with_password_and_code_together(client, org, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _try(client, "guide", f"guess-{i}", f"203.0.113.{10 + i}")
    page = _try(client, "guide", DEMO_PASSWORD, "198.51.100.3")
    assert page.status_code == 429
    body = page.content.decode()
    # The lock-out page offers the sign-in with the code.
    assert reverse("login-locked") in body
    url = reverse("login-locked")
    form = {"username": "guide", "password": DEMO_PASSWORD}
    no_code = client.post(url, {**form, "code": ""}, REMOTE_ADDR="198.51.100.3")
    assert no_code.status_code == 400 and "_auth_user_id" not in client.session
    wrong_password = client.post(
        url, {**form, "password": "guess-x", "code": _code("guide")}, REMOTE_ADDR="198.51.100.3"
    )
    assert wrong_password.status_code == 400 and "_auth_user_id" not in client.session
    done = client.post(url, {**form, "code": _code("guide")}, REMOTE_ADDR="198.51.100.3")
    assert done.status_code == 302 and done["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_the_code_path_is_closed_to_a_locked_address(client, org, settings):
    for i in range(settings.AXES_IP_FAILURE_LIMIT):
        _try(client, f"staff{i}", "Summer2026!", "203.0.113.99")
    response = client.post(
        reverse("login-locked"),
        {"username": "guide", "password": DEMO_PASSWORD, "code": _code("guide")},
        REMOTE_ADDR="203.0.113.99",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_wrong_codes_on_the_code_path_count_against_the_address(client, org, settings):
    url = reverse("login-locked")
    for _ in range(settings.AXES_IP_FAILURE_LIMIT):
        client.post(
            url,
            {"username": "guide", "password": "x", "code": "123456"},
            REMOTE_ADDR="203.0.113.50",
        )
    assert _try(client, "coordinator", DEMO_PASSWORD, "203.0.113.50").status_code == 429
