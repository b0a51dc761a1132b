"""Issue 21, point 2: single sign-on through OpenID Connect and SAML 2.0, against real
identity providers started here (tests/identity_providers): django-oauth-toolkit's OIDC
provider in a process of its own, and pysaml2's IdP in a thread, both over HTTP.

Roles come from the provider's groups through the role map; nobody without a mapped role
gets an account; the assurance level (acr / AuthnContextClassRef) is kept on the
session, and only a level that shows a second factor skips Bo Kvar's own.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bokvar import second_factor, sso
from bokvar.history import history_of
from bokvar.models import Membership, Role, User
from tests.conftest import DEMO_PASSWORD
from tests.identity_providers.harness import sign_in, start_oidc_provider, start_saml_idp

pytestmark = pytest.mark.django_db

LOA3 = "http://id.elegnamnden.se/loa/1.0/loa3"
LOA2 = "http://id.elegnamnden.se/loa/1.0/loa2"
IDP_PASSWORD = "idp-password-1"

# The people the providers know: their groups and how they sign in there.
PEOPLE = {
    "anna.sso": {"groups": ["bokvar-coordinators"], "acr": LOA3},
    "bo.loa2": {"groups": ["bokvar-coordinators"], "acr": LOA2},
    "cilla.norole": {"groups": ["payroll"], "acr": LOA3},
    "stina.steering": {"groups": ["bokvar-steering"], "acr": LOA2},
    # The demo coordinator's own account (tests/conftest.py), a unit lead.
    "coordinator": {"groups": ["bokvar-coordinators", "bokvar-coordinator-leads"], "acr": LOA3},
}


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    users = {
        name: {
            "password": IDP_PASSWORD,
            "claims": {
                "preferred_username": name,
                "groups": person["groups"],
                "acr": person["acr"],
                "amr": ["pwd", "otp"] if person["acr"] == LOA3 else ["pwd"],
                "given_name": name.split(".")[0].title(),
            },
        }
        for name, person in PEOPLE.items()
    }
    provider = start_oidc_provider(tmp_path_factory.mktemp("oidc"), users)
    yield provider
    provider.process.terminate()
    provider.process.wait(10)


@pytest.fixture(scope="module")
def saml_provider(tmp_path_factory):
    users = {
        name: {
            "password": IDP_PASSWORD,
            "attributes": {"uid": [name], "groups": person["groups"], "givenName": ["Test"]},
            "class_ref": person["acr"],
        }
        for name, person in PEOPLE.items()
    }
    provider = start_saml_idp(tmp_path_factory.mktemp("saml"), users)
    yield provider
    provider.server.shutdown()


@pytest.fixture
def role_map(settings, housing_team):
    rules = [
        {"claim": "groups", "value": "bokvar-coordinators", "role": "coordinator"},
        {
            "claim": "groups",
            "value": "bokvar-coordinator-leads",
            "role": "coordinator",
            "lead": True,
        },
        {"claim": "groups", "value": "bokvar-steering", "role": "steering"},
    ]
    for rule in rules:
        rule.update(district=housing_team.district.code, unit=housing_team.name)
    settings.BOKVAR = {
        **settings.BOKVAR,
        "SSO_ROLE_MAP": json.dumps(rules),
        "OIDC_USERNAME_CLAIM": "preferred_username",
        "SAML_USERNAME_ATTRIBUTE": "uid",
    }
    return housing_team


@pytest.fixture
def oidc(settings, role_map, oidc_provider):
    for name, value in oidc_provider.settings().items():
        setattr(settings, name, value)

    def _sign_in(client, username, next_url="/"):
        return sign_in(client, f"{reverse('oidc-login')}?next={next_url}", username, IDP_PASSWORD)

    return _sign_in


@pytest.fixture
def saml(settings, role_map, saml_provider):
    settings.SAML_CONFIG = saml_provider.sp_config

    def _sign_in(client, username, next_url="/"):
        return sign_in(client, f"{reverse('saml2_login')}?next={next_url}", username, IDP_PASSWORD)

    return _sign_in


def signed_in_user(client):
    return client.session.get("_auth_user_id")


@pytest.fixture(params=["oidc", "saml"])
def protocol(request):
    """The same expectations hold for both protocols."""
    return request.getfixturevalue(request.param), request.param


def test_a_coordinator_signs_in_with_the_role_mapped_from_the_claims(protocol, role_map):
    flow, method = protocol
    # As a browser: CSRF checked (the SAML answer is a cross-site POST).
    client = Client(enforce_csrf_checks=True)
    assert not User.objects.filter(username="anna.sso").exists()

    response = flow(client, "anna.sso", next_url="/cases/")

    assert response.status_code == 302 and response["Location"] == "/cases/"
    user = User.objects.get(username="anna.sso")
    assert signed_in_user(client) == str(user.pk)
    assert not user.has_usable_password()
    assert list(Membership.objects.filter(user=user).values_list("unit", "role", "is_lead")) == [
        (role_map.pk, Role.COORDINATOR, False)
    ]
    # The provider's second factor counted: no local code, and the session says how.
    assurance = client.session[sso.ASSURANCE_KEY]
    assert assurance["method"] == method
    assert assurance["acr"] == LOA3 and assurance["second_factor"] is True
    if method == "oidc":
        assert assurance["amr"] == ["pwd", "otp"]
    assert client.get(reverse("home")).status_code == 200
    # The grant is in the membership's history, by the system, for single sign-on.
    row = history_of(Membership).get(user_id=user.pk)
    assert row.history_change_reason.startswith("single sign-on")


def test_nobody_without_a_mapped_role_gets_an_account(client, protocol):
    flow, _method = protocol
    response = flow(client, "cilla.norole")

    assert not User.objects.filter(username="cilla.norole").exists()
    assert signed_in_user(client) is None
    assert response.status_code in (302, 403)
    assert client.get(reverse("home")).status_code == 302


def test_without_a_second_factor_at_the_provider_the_local_one_is_required(client, protocol):
    flow, method = protocol
    response = flow(client, "bo.loa2", next_url="/cases/")

    # Account and role mapped, but not signed in: on to enrol an authenticator.
    assert User.objects.get(username="bo.loa2").memberships.filter(role=Role.COORDINATOR).exists()
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login-enrol"))
    assert signed_in_user(client) is None
    assert client.get(reverse("home")).status_code == 302


def test_the_local_code_completes_a_sign_in_below_the_second_factor_level(client, oidc, org):
    user = User.objects.create(username="bo.loa2")
    user.set_unusable_password()
    user.save()
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)

    response = oidc(client, "bo.loa2", next_url="/cases/")
    assert response["Location"].startswith(reverse("login-code"))
    assert signed_in_user(client) is None

    response = client.post(
        response["Location"], {"code": second_factor.current_code(device), "next": "/cases/"}
    )
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert signed_in_user(client) == str(user.pk)
    assurance = client.session[sso.ASSURANCE_KEY]
    assert assurance["acr"] == LOA2 and assurance["local"] is True


def test_a_role_that_sees_no_person_needs_no_local_second_factor(client, protocol, role_map):
    flow, _method = protocol
    response = flow(client, "stina.steering")

    user = User.objects.get(username="stina.steering")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(client) == str(user.pk)
    assert client.session[sso.ASSURANCE_KEY]["second_factor"] is False


def test_roles_are_mapped_again_at_every_sign_in(client, oidc, coordinator, adult_unit, role_map):
    # A role the provider does not assert is taken away; the claimed ones are kept.
    Membership.objects.create(user=coordinator, unit=adult_unit, role=Role.CASEWORKER)

    oidc(client, "coordinator")

    assert signed_in_user(client) == str(coordinator.pk)
    assert set(
        Membership.objects.filter(user=coordinator).values_list("unit", "role", "is_lead")
    ) == {(role_map.pk, Role.COORDINATOR, True)}
    removed = history_of(Membership).filter(user_id=coordinator.pk, history_type="-").get()
    assert removed.role == Role.CASEWORKER
    assert "no longer" in removed.history_change_reason
    # The change is in the hash-chained access log too, flagged for the auditor as a
    # role change of the person signing in (issue 21, point 3).
    from audit.models import AccessLogEntry, How
    from audit.review import LogFilters, entries

    logged = AccessLogEntry.objects.filter(
        how=How.ADMIN, user=coordinator, object_type="bokvar.membership"
    )
    assert removed.id in set(logged.values_list("object_id", flat=True))
    flagged = entries(LogFilters(flagged=True, user_id=coordinator.pk))
    assert set(logged.values_list("pk", flat=True)) <= set(flagged.values_list("pk", flat=True))


def test_an_account_losing_every_role_at_the_provider_is_refused(client, oidc, settings):
    oidc(client, "anna.sso")
    anna = User.objects.get(username="anna.sso")
    client.logout()
    settings.BOKVAR = {**settings.BOKVAR, "SSO_ROLE_MAP": "[]"}

    oidc(client, "anna.sso")

    assert signed_in_user(client) is None
    assert not Membership.objects.filter(user=anna).exists()


def test_a_locked_out_account_still_signs_in_through_single_sign_on(
    client, oidc, coordinator, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "coordinator", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "coordinator", "password": DEMO_PASSWORD})
    assert locked.status_code == 429

    oidc(client, "coordinator")

    assert signed_in_user(client) == str(coordinator.pk)
    assert client.get(reverse("home")).status_code == 200


def test_a_forged_saml_answer_is_refused(client, saml, saml_provider):
    """The assertion must carry the provider's signature: an answer altered on the way
    (here: the group swapped for another) signs no one in."""
    import base64

    from tests.identity_providers.harness import local_path, through_provider

    start = client.get(f"{reverse('saml2_login')}?next=/")
    _method, url, fields = through_provider(start["Location"], "stina.steering", IDP_PASSWORD)
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert "bokvar-steering" in xml
    fields["SAMLResponse"] = base64.b64encode(
        xml.replace("bokvar-steering", "bokvar-coordinators").encode()
    ).decode()

    response = client.post(local_path(url), fields)

    assert response.status_code == 403
    assert signed_in_user(client) is None
    assert not User.objects.filter(username="stina.steering").exists()


def test_an_id_token_from_another_issuer_is_refused(client, oidc, settings):
    settings.OIDC_OP_ISSUER = "https://someone-else.example/o"

    oidc(client, "anna.sso")

    assert signed_in_user(client) is None
    assert not User.objects.filter(username="anna.sso").exists()


def test_the_sign_in_page_offers_single_sign_on_once_configured(client, oidc, saml):
    page = client.get(reverse("login")).content.decode()
    assert reverse("oidc-login") in page and reverse("saml2_login") in page


def test_single_sign_on_answers_404_until_configured(client, settings):
    settings.OIDC_RP_CLIENT_ID = ""
    settings.SAML_CONFIG = None
    for name in ("oidc-login", "oidc-callback", "saml2_login", "saml2_metadata"):
        assert client.get(reverse(name)).status_code == 404, name
    page = client.get(reverse("login")).content.decode()
    assert reverse("oidc-login") not in page


def test_with_local_passwords_off_single_sign_on_still_signs_in(client, protocol, settings):
    flow, _method = protocol
    settings.BOKVAR = {**settings.BOKVAR, "LOCAL_PASSWORDS": False}

    flow(client, "anna.sso")

    assert signed_in_user(client) == str(User.objects.get(username="anna.sso").pk)


def test_a_wrong_role_map_stops_rather_than_guesses():
    from django.core.exceptions import ImproperlyConfigured

    rule = {"claim": "groups", "value": "g", "district": "norrmalm", "unit": "Bo Kvar-teamet"}
    assert (
        sso.parse_role_map(json.dumps([{**rule, "role": "coordinator"}]))[0].role == "coordinator"
    )
    for wrong in ("{not json", json.dumps([{**rule, "role": "superuser"}]), json.dumps([rule])):
        with pytest.raises(ImproperlyConfigured):
            sso.parse_role_map(wrong)


def test_a_rule_naming_no_existing_unit_gives_no_role(settings, housing_team):
    rules = [
        {
            "claim": "groups",
            "value": "g",
            "role": "coordinator",
            "district": "norrmalm",
            "unit": "Nowhere",
        },
        {
            "claim": "groups",
            "value": "h",
            "role": "guide",
            "district": "norrmalm",
            "unit": housing_team.name,
        },
    ]
    settings.BOKVAR = {**settings.BOKVAR, "SSO_ROLE_MAP": json.dumps(rules)}
    assert sso.mapped_memberships({"groups": ["g"]}) == {}
    assert sso.mapped_memberships({"groups": "h"}) == {(housing_team.pk, Role.GUIDE): False}


@pytest.mark.django_db
def test_a_username_longer_than_any_account_is_the_fields_error_not_a_500(client):
    """Django's sign-in form never checked its username's length: 300 characters reached
    the lockout's table (255) and answered 500 on PostgreSQL (the form fuzz found it)."""
    response = client.post("/login/", {"username": "x" * 300, "password": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors["username"]
