"""Issue 21, point 2, done when "a coordinator signs in through the local OIDC provider in
CI": a real Chromium follows Bo Kvar's link to django-oauth-toolkit's provider (its own
process, tests/identity_providers), signs in on the provider's form and comes back signed
in, with the coordinator role mapped from the provider's groups."""

from __future__ import annotations

import json
from urllib.parse import urlparse

import pytest

from bokvar.models import Membership, Role, User
from tests.browser.conftest import follow
from tests.identity_providers.harness import start_oidc_provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    users = {
        "anna.sso": {
            "password": "idp-password-1",
            "claims": {
                "preferred_username": "anna.sso",
                "groups": ["bokvar-coordinators"],
                "acr": LOA3,
            },
        }
    }
    started = start_oidc_provider(
        tmp_path_factory.mktemp("oidc-browser"), users, app=live_server.url
    )
    yield started
    started.process.terminate()
    started.process.wait(10)


def test_a_coordinator_signs_in_through_the_oidc_provider(
    page, org, provider, settings, live_server
):
    unit = org.units["housing_team"]
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    rule = {"claim": "groups", "value": "bokvar-coordinators", "role": "coordinator"}
    rule.update(district=unit.district.code, unit=unit.name)
    settings.BOKVAR = {
        **settings.BOKVAR,
        "SSO_ROLE_MAP": json.dumps([rule]),
        "OIDC_USERNAME_CLAIM": "preferred_username",
    }

    page.goto("/login/")
    follow(page, page.locator('a[href^="/oidc/login/"]'))
    assert page.url.startswith(provider.base)
    page.locator('input[name="username"]').fill("anna.sso")
    page.locator('input[name="password"]').fill("idp-password-1")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    assert urlparse(page.url).path == "/"
    user = User.objects.get(username="anna.sso")
    assert Membership.objects.filter(user=user, unit=unit, role=Role.COORDINATOR).exists()
    # Signed in: the header names the user and offers to sign out.
    assert page.get_by_role("button", name="Logga ut").is_visible()
