"""Issue 21, point 1: sign-in with a second factor (TOTP, recovery codes), enrolment at
first sign-in, remembered browsers, and a reset by a second administrator."""

from __future__ import annotations

import re
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from bokvar import second_factor
from bokvar.models import SecondFactorReset
from tests.conftest import DEMO_PASSWORD, ROLE_USERNAMES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _password(client, username, password=DEMO_PASSWORD, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def _code_for(username: str) -> str:
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    return second_factor.current_code(device)


@pytest.mark.parametrize("username", ROLE_USERNAMES)
def test_every_role_signs_in_with_password_and_code(client, org, username):
    step = _password(client, username)
    assert step.status_code == 302 and step["Location"] == reverse("login-code")
    assert "_auth_user_id" not in client.session
    done = client.post(reverse("login-code"), {"code": _code_for(username)})
    assert done.status_code == 302 and done["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_wrong_code_is_400_naming_the_field_and_not_signed_in(client, org):
    _password(client, "coordinator")
    page = client.get(reverse("login-code")).content.decode()
    assert "Ange din kod" in page and "Kom ihåg den här webbläsaren i 14 dagar" in page
    right = _code_for("coordinator")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(reverse("login-code"), {"code": wrong})
    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    assert "_auth_user_id" not in client.session


def test_a_code_is_accepted_once(client, org):
    code = _code_for("guide")
    _password(client, "guide")
    assert client.post(reverse("login-code"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    _password(client, "guide")
    replay = client.post(reverse("login-code"), {"code": code})
    assert replay.status_code == 400
    assert "_auth_user_id" not in client.session


def test_too_many_wrong_codes_send_back_to_the_password(client, org):
    _password(client, "auditor")
    for _ in range(second_factor.PENDING_ATTEMPTS - 1):
        assert client.post(reverse("login-code"), {"code": "000000x"}).status_code == 400
    last = client.post(reverse("login-code"), {"code": "000000x"})
    assert last.status_code == 302 and last["Location"] == reverse("login")
    # The right code no longer helps: the password must be given again.
    again = client.post(reverse("login-code"), {"code": _code_for("auditor")})
    assert again.status_code == 302 and again["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_code_page_without_a_password_goes_to_the_password(client, org):
    response = client.post(reverse("login-code"), {"code": _code_for("coordinator")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes(client, org):
    UserFactory(username="newcomer", password="a-new-Password-7")
    step = _password(client, "newcomer", "a-new-Password-7")
    assert step["Location"] == reverse("login-enrol")
    page = client.get(reverse("login-enrol"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "<script" not in body
    device = TOTPDevice.objects.get(user__username="newcomer", confirmed=False)
    # The key shown is the device's (base32, grouped in fours).
    assert page.context["secret"].replace(" ", "") in second_factor_base32(device)
    bad = client.post(reverse("login-enrol"), {"code": ""})
    assert bad.status_code == 400 and bad.context["form"].errors["code"]
    done = client.post(reverse("login-enrol"), {"code": second_factor.current_code(device)})
    assert done.status_code == 302 and done["Location"].startswith(reverse("recovery-codes"))
    codes_page = client.get(done["Location"])
    codes = codes_page.context["codes"]
    assert len(codes) == second_factor.RECOVERY_CODE_COUNT == len(set(codes))
    assert all(c in codes_page.content.decode() for c in codes)
    # Shown once.
    assert client.get(reverse("recovery-codes")).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("home")).status_code == 200


def second_factor_base32(device) -> str:
    import base64

    return base64.b32encode(device.bin_key).decode().rstrip("=")


def test_recovery_code_signs_in_once(client, org):
    user = org.users["caseworker"]
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    _password(client, "caseworker")
    assert client.post(reverse("login-code"), {"code": "abcd 2345"}).status_code == 302
    client.post(reverse("logout"))
    _password(client, "caseworker")
    assert client.post(reverse("login-code"), {"code": "abcd2345"}).status_code == 400
    assert not StaticToken.objects.filter(device=device).exists()


def test_remembered_browser_skips_the_code_until_reset(client, org):
    _password(client, "coordinator")
    done = client.post(reverse("login-code"), {"code": _code_for("coordinator"), "remember": "on"})
    cookie = done.cookies[f"{second_factor.REMEMBER_COOKIE}_{org.users['coordinator'].pk}"]
    assert cookie["max-age"] == 14 * 24 * 3600 and cookie["httponly"]
    client.post(reverse("logout"))
    again = _password(client, "coordinator")
    assert again.status_code == 302 and again["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    # A reset by another administrator ends the remembered browser.
    second_factor.reset(actor=org.users["admin"], user=org.users["coordinator"], reason="lost")
    after = _password(client, "coordinator")
    assert after["Location"] == reverse("login-enrol")
    assert "_auth_user_id" not in client.session


def test_remembered_browser_expires_after_the_configured_days(client, org, monkeypatch):
    _password(client, "steering")
    client.post(reverse("login-code"), {"code": _code_for("steering"), "remember": "on"})
    client.post(reverse("logout"))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 14 * 24 * 3600 + 60)
    later = _password(client, "steering")
    assert later["Location"] == reverse("login-code")


def test_remembering_can_be_switched_off(client, org, settings):
    settings.BOKVAR = {**settings.BOKVAR, "REMEMBER_DEVICE_DAYS": 0}
    _password(client, "guide")
    assert "Kom ihåg" not in client.get(reverse("login-code")).content.decode()
    done = client.post(reverse("login-code"), {"code": _code_for("guide"), "remember": "on"})
    assert not [name for name in done.cookies if name.startswith(second_factor.REMEMBER_COOKIE)]


def test_a_session_no_device_verified_is_signed_out(client, org):
    # Django's own login() alone (as the admin's old password form did) is not enough.
    plain_force_login = type(client).force_login.__wrapped__
    plain_force_login(client, org.users["coordinator"], "django.contrib.auth.backends.ModelBackend")
    assert "_auth_user_id" in client.session
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_admin_login_sends_to_the_two_step_sign_in(client, org):
    response = client.get("/admin/login/?next=/admin/bokvar/unit/")
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=%2Fadmin%2Fbokvar%2Funit%2F"


def test_another_administrator_resets_a_second_factor_and_it_is_logged(login, org):
    other_admin = UserFactory(username="admin2")
    from bokvar import services
    from bokvar.models import Role

    services.add_membership(
        user=other_admin, unit=org.units["housing_team"], role=Role.ADMINISTRATOR
    )
    target = org.users["coordinator"]
    client = login(other_admin)
    url = reverse("reset-second-factor", args=[target.pk])
    assert client.get(url).status_code == 200
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 400 and missing.context["form"].errors["reason"]
    assert TOTPDevice.objects.filter(user=target).exists()
    done = client.post(url, {"reason": "Lost phone, ticket 4711"})
    assert done.status_code == 200
    assert not TOTPDevice.objects.filter(user=target).exists()
    assert not StaticDevice.objects.filter(user=target).exists()
    event = SecondFactorReset.objects.get()
    assert (event.actor, event.user, event.reason) == (
        other_admin,
        target,
        "Lost phone, ticket 4711",
    )


def test_an_administrator_cannot_reset_their_own_second_factor(login, org):
    admin = org.users["admin"]
    client = login(admin)
    assert (
        client.post(reverse("reset-second-factor", args=[admin.pk]), {"reason": "x"}).status_code
        == 403
    )
    with pytest.raises(second_factor.SecondFactorError):
        second_factor.reset(actor=admin, user=admin, reason="x")
    assert TOTPDevice.objects.filter(user=admin).exists()
    assert not SecondFactorReset.objects.exists()


@pytest.mark.parametrize("username", [u for u in ROLE_USERNAMES if u != "admin"])
def test_only_administrators_reset_second_factors(login, org, username):
    target = org.users["guide" if username != "guide" else "coordinator"]
    client = login(org.users[username])
    url = reverse("reset-second-factor", args=[target.pk])
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert TOTPDevice.objects.filter(user=target).exists()


def test_demo_code_prints_the_code_the_sign_in_accepts(client, org):
    out = StringIO()
    call_command("demo_code", "caseworker2", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    _password(client, "caseworker2")
    assert client.post(reverse("login-code"), {"code": code}).status_code == 302


def test_demo_code_refuses_a_real_authenticator(org):
    device = TOTPDevice.objects.get(user=org.users["guide"])
    TOTPDevice.objects.filter(pk=device.pk).update(key="00" * 20)
    with pytest.raises(CommandError):
        call_command("demo_code", "guide", stdout=StringIO())


def test_readme_lists_each_demo_users_authenticator_key():
    import base64
    from pathlib import Path

    from bokvar.demo import DEMO_USERS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for username, *_ in DEMO_USERS:
        key = base64.b32encode(bytes.fromhex(second_factor.demo_key(username))).decode()
        assert re.search(rf"\| `{username}` \|.*\| `{key}` \|", readme), username


def test_user_admin_page_links_to_the_reset(login, org):
    client = login(org.users["admin"])
    target = org.users["guide"]
    page = client.get(reverse("admin:bokvar_user_change", args=[target.pk])).content.decode()
    assert reverse("reset-second-factor", args=[target.pk]) in page
    # django-otp's own device pages (which show every key) are not in the admin.
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
