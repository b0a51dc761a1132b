"""Issue 21, point 2: local passwords can be switched off; while on, staff change their
own and reset a forgotten one by e-mail (mail caught by Django's locmem backend: the mail
server is outside the system)."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from bokvar import passwords
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-Lang-losen-42"


@pytest.fixture(autouse=True)
def _mail_and_fresh_throttle(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


def test_staff_change_their_own_password(login, coordinator):
    client = login(coordinator)
    assert reverse("password-change") in client.get(reverse("home")).content.decode()
    page = client.get(reverse("password-change"))
    assert page.status_code == 200

    wrong = client.post(
        reverse("password-change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors

    response = client.post(
        reverse("password-change"),
        {
            "old_password": DEMO_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("password-change-done")
    coordinator.refresh_from_db()
    assert coordinator.check_password(NEW_PASSWORD)
    # Still signed in (and still verified by the second factor).
    assert client.get(reverse("home")).status_code == 200


def test_changing_a_password_needs_a_sign_in(client):
    response = client.get(reverse("password-change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_reset_by_e_mail_sets_a_new_password_but_signs_no_one_in(client, coordinator, mailoutbox):
    coordinator.email = "anette@kommun.example"
    coordinator.save()

    response = client.post(reverse("password-reset"), {"email": "anette@kommun.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password-reset-done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["anette@kommun.example"]
    # The link and fixed words only: no name, no username, nothing about anyone's case.
    for detail in (coordinator.username, coordinator.first_name, coordinator.last_name):
        assert detail not in mail.subject and detail not in mail.body
    link = re.search(r"http://testserver(/password/reset/\S+/\S+/)", mail.body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302 and done["Location"] == reverse("password-reset-complete")
    coordinator.refresh_from_db()
    assert coordinator.check_password(NEW_PASSWORD)
    assert "_auth_user_id" not in client.session
    # The link works once.
    again = client.get(link, follow=True)
    assert "new_password1" not in again.content.decode()
    # The new password leads to the second factor, not into Bo Kvar.
    step = client.post(
        reverse("login"), {"username": coordinator.username, "password": NEW_PASSWORD}
    )
    assert step.status_code == 302 and "_auth_user_id" not in client.session


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, org, mailoutbox):
    response = client.post(reverse("password-reset"), {"email": "nobody@kommun.example"})
    assert response.status_code == 302 and response["Location"] == reverse("password-reset-done")
    assert mailoutbox == []


def test_resets_are_throttled_per_e_mail_address_and_per_address(client, coordinator, mailoutbox):
    coordinator.email = "anette@kommun.example"
    coordinator.save()
    for _ in range(passwords.RESETS_PER_EMAIL + 1):
        response = client.post(reverse("password-reset"), {"email": "anette@kommun.example"})
        assert response.status_code == 302
    assert len(mailoutbox) == passwords.RESETS_PER_EMAIL

    for _ in range(passwords.RESETS_PER_ADDRESS - passwords.RESETS_PER_EMAIL - 1):
        client.post(reverse("password-reset"), {"email": "other@kommun.example"})
    refused = client.post(reverse("password-reset"), {"email": "third@kommun.example"})
    assert refused.status_code == 429


def test_without_local_passwords_only_single_sign_on_remains(client, coordinator, settings):
    settings.BOKVAR = {**settings.BOKVAR, "LOCAL_PASSWORDS": False}
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="password"' not in page.content.decode()
    assert (
        client.post(
            reverse("login"), {"username": coordinator.username, "password": DEMO_PASSWORD}
        ).status_code
        == 404
    )
    assert "_auth_user_id" not in client.session
    for name in ("password-reset", "password-change", "login-locked"):
        assert client.get(reverse(name)).status_code == 404, name


def test_the_switch_reads_the_environment():
    from bokvar.conf import from_environment

    assert from_environment({"BOKVAR_LOCAL_PASSWORDS": "0"})["LOCAL_PASSWORDS"] is False
    assert from_environment({"BOKVAR_LOCAL_PASSWORDS": "1"})["LOCAL_PASSWORDS"] is True
    assert from_environment({})["LOCAL_PASSWORDS"] is True
