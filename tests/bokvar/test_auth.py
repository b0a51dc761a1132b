import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bokvar.second_factor import current_code
from tests.conftest import DEMO_PASSWORD, ROLE_USERNAMES

pytestmark = pytest.mark.django_db


def test_login_page_is_swedish(client, org):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="sv">' in body
    assert "Logga in i Bo Kvar" in body
    assert "Hoppa till huvudinnehållet" in body


def test_login_page_in_english_when_chosen(client, org):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    body = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in body
    assert "Sign in to Bo Kvar" in body


def test_sign_in_leads_home(client, org):
    response = client.post(
        reverse("login"),
        {"username": "coordinator", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("login-code")
    device = TOTPDevice.objects.get(user=org.users["coordinator"])
    response = client.post(
        reverse("login-code"), {"code": current_code(device)}, REMOTE_ADDR="10.0.0.1"
    )
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert "Välkommen, Anette Sjöberg" in home.content.decode()


def test_wrong_password_is_refused_with_a_message(client, org):
    response = client.post(reverse("login"), {"username": "coordinator", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_repeated_failures_are_throttled(client, org, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "guide", "password": "wrong"}, REMOTE_ADDR="10.9.9.9"
        )
    locked = client.post(
        reverse("login"), {"username": "guide", "password": DEMO_PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert locked.status_code == 429
    assert "För många misslyckade inloggningsförsök" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked.
    other = client.post(
        reverse("login"),
        {"username": "coordinator", "password": DEMO_PASSWORD},
        REMOTE_ADDR="10.9.9.9",
    )
    assert other.status_code == 302


def test_session_expiry_moves_with_activity(client, org, settings):
    client.force_login(org.users["guide"], backend="django.contrib.auth.backends.ModelBackend")
    client.get(reverse("home"))
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_home_requires_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("username", ROLE_USERNAMES)
def test_every_role_has_a_home_page(client, org, username):
    client.force_login(org.users[username], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "Dina roller" in response.content.decode()


def test_user_without_role_is_told_so(client, outsider):
    client.force_login(outsider, backend="django.contrib.auth.backends.ModelBackend")
    body = client.get(reverse("home")).content.decode()
    assert "Du har ännu ingen roll" in body


def test_logout_is_post_only_and_ends_the_session(client, org):
    client.force_login(org.users["guide"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


def test_admin_only_for_the_administrator(client, org):
    client.force_login(org.users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/admin/bokvar/unit/").status_code == 200
    client.force_login(
        org.users["coordinator"], backend="django.contrib.auth.backends.ModelBackend"
    )
    assert client.get("/admin/bokvar/unit/").status_code == 302  # to the admin login


def test_admin_creates_unit_with_group(client, org):
    client.force_login(org.users["admin"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        "/admin/bokvar/unit/add/",
        {
            "district": org.district.pk,
            "name": "Ny enhet",
            "kind": "adult",
            "email": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    from bokvar.models import Unit

    unit = Unit.objects.get(name="Ny enhet")
    assert unit.group.name.startswith("unit:norrmalm:")


def test_error_pages_do_not_echo_the_path(client, org):
    client.force_login(org.users["guide"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/no-such-page/199001011234/")
    assert response.status_code == 404
    assert "199001011234" not in response.content.decode()
    assert "Sidan hittades inte" in response.content.decode()
