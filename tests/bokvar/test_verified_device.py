"""The device that verified a session is read by a kept statement (bokvar.middleware.
VerifiedDevice; issue 22) with django-otp's own rules: the session stays signed in only
while its device exists, is confirmed and is the user's own; a malformed or unknown id
in the session signs it out; the request's user carries the device as the ORM reads it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def _signed_in(user, device_id: str) -> Client:
    client = Client()
    # Django's own login, without the device tests/conftest.py's wrapper puts in.
    plain_force_login = type(client).force_login.__wrapped__  # type: ignore[attr-defined]  # set by tests/conftest.py
    plain_force_login(client, user, "django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device_id
    session.save()
    return client


def _stays_signed_in(client: Client) -> bool:
    response = client.get(reverse("home"))
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    return False


def test_only_an_existing_confirmed_device_of_the_users_own_keeps_the_session(org):
    coordinator, guide = org.users["coordinator"], org.users["guide"]
    own = StaticDevice.objects.create(user=coordinator, name="own", confirmed=True)
    others = StaticDevice.objects.create(user=guide, name="other's", confirmed=True)
    unconfirmed = StaticDevice.objects.create(user=coordinator, name="new", confirmed=False)
    gone = StaticDevice.objects.create(user=coordinator, name="gone", confirmed=True)
    gone_id = gone.persistent_id
    gone.delete()
    assert _stays_signed_in(_signed_in(coordinator, own.persistent_id))
    for device_id in (
        others.persistent_id,
        unconfirmed.persistent_id,
        gone_id,
        "otp_static.staticdevice/not-a-number",
        "no-such-app.device/1",
        "bokvar.user/1",  # a model that is no device
        "otp_static.staticdevice",
    ):
        assert not _stays_signed_in(_signed_in(coordinator, device_id)), device_id
    # A legacy full import path still names the device (django-otp's normalisation).
    legacy = f"django_otp.plugins.otp_static.models.StaticDevice/{own.pk}"
    assert _stays_signed_in(_signed_in(coordinator, legacy))


def test_the_request_user_carries_the_device_as_the_orm_reads_it(org, rf):
    from bokvar.middleware import VerifiedDevice

    coordinator = org.users["coordinator"]
    device = TOTPDevice.objects.filter(user=coordinator, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    client = _signed_in(coordinator, device.persistent_id)
    request = rf.get("/")
    request.session = client.session
    request.user = coordinator
    VerifiedDevice(lambda r: None)(request)
    assert request.user.is_verified()
    got = request.user.otp_device
    want = TOTPDevice.objects.get(pk=device.pk)
    assert type(got) is TOTPDevice and got._state.adding is False
    assert {k: v for k, v in vars(got).items() if k != "_state"} == {
        k: v for k, v in vars(want).items() if k != "_state"
    }


def _verified(rf, client: Client, user):
    from bokvar.middleware import VerifiedDevice

    request = rf.get("/")
    request.session = client.session
    assert DEVICE_ID_SESSION_KEY in request.session  # read now, not in a test's count
    request.user = type(user).objects.get(pk=user.pk)  # as the request loads them
    VerifiedDevice(lambda r: None)(request)
    return request


def test_the_device_is_read_with_its_users_roles_in_one_statement(org, rf, caseworker):
    """The page's roles come with the device (issue 22): one statement for both, and the
    roles are those `roles_of` reads on its own: memberships of active units only."""
    from bokvar import selectors
    from bokvar.models import Membership, Role, Unit

    housing, inactive = org.units[Unit.Kind.HOUSING_TEAM], org.units[Unit.Kind.SOCIAL_PSYCHIATRY]
    Membership.objects.create(user=caseworker, unit=housing, role=Role.GUIDE, is_lead=True)
    Membership.objects.get_or_create(user=caseworker, unit=inactive, role=Role.COORDINATOR)
    Unit.objects.filter(pk=inactive.pk).update(is_active=False)
    device = StaticDevice.objects.create(user=caseworker, name="key", confirmed=True)
    request = _verified(rf, _signed_in(caseworker, device.persistent_id), caseworker)
    with CaptureQueriesContext(connection) as ctx:
        assert request.user.is_verified()
        roles = selectors.roles_of(request.user)
    assert len(ctx) == 1, [q["sql"] for q in ctx.captured_queries]
    alone = selectors.roles_of(type(caseworker).objects.get(pk=caseworker.pk))
    assert roles == alone
    assert roles.has(Role.CASEWORKER, Role.GUIDE) and housing.pk in roles.lead_unit_ids
    assert inactive.pk not in roles.unit_ids


def test_a_user_without_memberships_is_verified_and_holds_no_role(org, rf):
    from bokvar import selectors
    from bokvar.models import User

    nobody = User.objects.create_user(username="nobody", password="x" * 20)
    device = StaticDevice.objects.create(user=nobody, name="key", confirmed=True)
    request = _verified(rf, _signed_in(nobody, device.persistent_id), nobody)
    with CaptureQueriesContext(connection) as ctx:
        assert request.user.is_verified()
        assert selectors.roles_of(request.user) == selectors.Roles()
    assert len(ctx) == 1


def test_another_users_device_gives_neither_verification_nor_their_roles(org, rf):
    """The roles read with the device are its user's: they are kept only once the
    device is found to be the request user's own."""
    from bokvar import selectors
    from bokvar.models import Role

    coordinator, guide = org.users["coordinator"], org.users["guide"]
    others = StaticDevice.objects.create(user=guide, name="other's", confirmed=True)
    request = _verified(rf, _signed_in(coordinator, others.persistent_id), coordinator)
    assert not request.user.is_verified()
    roles = selectors.roles_of(request.user)
    assert roles.has(Role.COORDINATOR) and not roles.has(Role.GUIDE)
