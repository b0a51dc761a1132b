"""The device that verified a session is read by a kept statement (bokvar.middleware.
VerifiedDevice; issue 22) with django-otp's own rules: the session stays signed in only
while its device exists, is confirmed and is the user's own; a malformed or unknown id
in the session signs it out; the request's user carries the device as the ORM reads it."""

from __future__ import annotations

import pytest
from django.test import Client
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
