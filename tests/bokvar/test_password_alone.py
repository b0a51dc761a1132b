"""Issue 21, point 1: a password alone signs no one in, whatever the role."""

import pytest
from django.urls import reverse

from tests.conftest import DEMO_PASSWORD, ROLE_USERNAMES

pytestmark = pytest.mark.django_db


# Every role, the meeting-place staff too (who see no person but still sign in).
@pytest.mark.parametrize("username", [*ROLE_USERNAMES, "skotare"])
def test_password_alone_does_not_sign_in(client, org, username):
    client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    assert "_auth_user_id" not in client.session
    home = client.get(reverse("home"))
    assert home.status_code == 302 and home["Location"].startswith(reverse("login"))


def test_admin_login_form_does_not_sign_in_with_a_password(client, org):
    client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": DEMO_PASSWORD, "next": "/admin/"},
    )
    assert client.get("/admin/bokvar/unit/").status_code == 302
    assert "_auth_user_id" not in client.session
