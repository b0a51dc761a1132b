"""Shared fixtures: the demo organisation and one named person per role.

Tests read like the roles: `coordinator`, `guide`, `caseworker` (adult unit),
`caseworker2` (income support), `steering`, `auditor`, `admin_user`, and an
`outsider` who is signed in but holds no role.
"""

from __future__ import annotations

import gc
import os
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import override_settings
from django.utils import translation

from bokvar.models import Unit, User

from .factories import UserFactory
from .scheduling import longest_first
from .services import required
from .shared_data import (  # the hook and fixture build the shared data once, not per test
    DEMO_PASSWORD,
    DEMO_SEED_ARGS,
    DISTRICT_SEED_ARGS,
    SHARED,
    TEST_PASSWORD_HASHERS,
    _fast_flush,
    django_db_setup,
    ensure_seeded,
    group_by_layers,
    load_organisation,
    pytest_fixture_setup,
    register_layer,
)
from .template_db import django_db_keepdb  # one migrated database, copied per process

pytest_plugins = ["tests.case_fixtures"]

__all__ = [
    "DEMO_PASSWORD",
    "_fast_flush",
    "django_db_keepdb",
    "django_db_setup",
    "pytest_fixture_setup",
]


def _force_login_with_second_factor(original):
    """`force_login` stands for "this user is signed in", which since issue 21 means
    signed in with a second factor: it also marks the session verified by a (test)
    recovery-code device, as the sign-in views do. Tests of the sign-in itself go
    through the real forms with real codes (tests/bokvar/test_second_factor.py).

    Django's `force_login` with the device put into the session before it is saved: the
    same `login` (session key cycled or flushed, `user_logged_in` and its handlers), the
    same session row and cookie in the end. Django's own first makes an empty session
    row for a client without a cookie only to cycle its key away (`Client.session`),
    and the device was written by a second read and save of the session: 26 statements
    for a client's first sign-in, 15 now; 22 for a later one, 18 now."""

    def force_login(self, user, backend=None):
        from django.contrib.auth import login
        from django.http import HttpRequest
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_static.models import StaticDevice

        if backend is None:
            backend = self._get_backend()
        user.backend = backend
        request = HttpRequest()
        cookie = self.cookies.get(django_settings.SESSION_COOKIE_NAME)
        request.session = import_module(django_settings.SESSION_ENGINE).SessionStore(
            cookie.value if cookie else None
        )
        login(request, user, backend)
        device = StaticDevice.objects.filter(user=user, name="test sign-in").first()
        if device is None:
            device = StaticDevice.objects.create(user=user, name="test sign-in", confirmed=True)
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        request.session.save()
        self._set_login_cookies(request)

    force_login.__wrapped__ = original
    return force_login


def pytest_configure(config):
    from django.test.client import ClientMixin

    if not hasattr(ClientMixin.force_login, "__wrapped__"):
        ClientMixin.force_login = _force_login_with_second_factor(ClientMixin.force_login)


@pytest.fixture(autouse=True, scope="session")
def _ci_uses_postgresql():
    """In CI the suite must really run on PostgreSQL, not fall back to SQLite. (The
    backend is known without connecting: this does not set the test database up, so the
    tests that need none run while another process migrates it, tests/template_db.py.)"""
    if required("BOKVAR_REQUIRE_SERVICES"):
        assert connection.vendor == "postgresql", (
            "BOKVAR_REQUIRE_SERVICES=1 but the database is " + connection.vendor
        )


@pytest.fixture
def org(db):
    """The demo organisation, built once for consecutive tests that use it
    (tests/shared_data.py)."""
    district, units, users = load_organisation()
    return SimpleNamespace(district=district, units=units, users=users)


@pytest.fixture
def demo_seeded(db):
    """The database after `manage.py seed_demo --password pw-for-test-1` (built once for
    consecutive tests, see tests/shared_data.py)."""
    ensure_seeded("demo_seeded", DEMO_SEED_ARGS)


@pytest.fixture
def district_seeded(db):
    """The database after `manage.py seed_demo --scale district --password pw`."""
    ensure_seeded("district_seeded", DISTRICT_SEED_ARGS)


@pytest.fixture
def housing_team(org) -> Unit:
    return org.units[Unit.Kind.HOUSING_TEAM]


@pytest.fixture
def adult_unit(org) -> Unit:
    return org.units[Unit.Kind.ADULT]


@pytest.fixture
def income_support(org) -> Unit:
    return org.units[Unit.Kind.INCOME_SUPPORT]


@pytest.fixture
def coordinator(org):
    return org.users["coordinator"]


@pytest.fixture
def guide(org):
    return org.users["guide"]


@pytest.fixture
def caseworker(org):
    return org.users["caseworker"]


@pytest.fixture
def caseworker2(org):
    return org.users["caseworker2"]


@pytest.fixture
def steering(org):
    return org.users["steering"]


@pytest.fixture
def auditor(org):
    return org.users["auditor"]


@pytest.fixture
def admin_user(org):
    return org.users["admin"]


def make_outsider() -> User:
    return UserFactory(username="outsider", first_name="Olle", last_name="Utomstående")


@register_layer("outsider")
def _build_outsider_layer() -> int:
    return make_outsider().pk


@pytest.fixture
def outsider(org):
    """Signed in, no role: built once for consecutive tests that use it
    (tests/shared_data.py), else here."""
    pk = SHARED.layer_data("outsider")
    return make_outsider() if pk is None else User.objects.get(pk=pk)


ROLE_USERNAMES = [
    "coordinator",
    "guide",
    "caseworker",
    "caseworker2",
    "steering",
    "auditor",
    "admin",
]


@pytest.fixture
def login(client):
    """Sign a user in on the test client and return the client."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture(autouse=True, scope="session")
def _swedish_by_default():
    """Swedish and the fast password hash for the whole run. Set once, not per test: a
    per-test override sends `setting_changed` twice a test, which empties the caches kept
    per process (the navigation's badge statements, the case page's statement), so every
    test compiled them anew as if the process had just started. A test that changes a
    setting itself (the `settings` fixture) still empties them."""
    with override_settings(LANGUAGE_CODE="sv", PASSWORD_HASHERS=TEST_PASSWORD_HASHERS):
        yield


@pytest.fixture(autouse=True)
def _no_language_left_active():
    """Every test starts with no language activated, as the per-test override of
    LANGUAGE_CODE left it (`language_changed` resets the active language): a request
    through the test client activates the reader's language and leaves it active."""
    translation.deactivate()


@pytest.fixture(autouse=True)
def _no_finished_days_remembered():
    """The auditor's review remembers the busy readers of days that are over
    (audit.review.busy_in_period): in production no entry is ever dated in the past, but
    tests write such entries and roll them back, so each test starts with none."""
    from audit.review import forget_finished_days

    forget_finished_days()


def pytest_collection_finish(session):
    """The modules, classes and collected tests live as long as the run: frozen out of the
    cyclic garbage collector's sight, and its young generation collected every 50,000
    allocations instead of 700 (a test makes hundreds of thousands of short-lived ORM
    objects). Measured on tests/cases/core in one process: the collector's time 1.86 ->
    0.80 s, 2,904 -> 404 collections, 2-5 % of the process's CPU. Garbage is still
    collected, only in fewer, larger passes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def pytest_collection_modifyitems(config, items):
    # Browser tests are slow; run them last so a fast failure shows first.
    items.sort(key=lambda item: "tests/browser/" in str(item.fspath).replace(os.sep, "/"))
    group_by_layers(items)
    # Then the longest tests first, so no process ends the run on one (tests/scheduling.py).
    longest_first(items)


@pytest.fixture(autouse=True, scope="session")
def _isolated_broker():
    """Tests never leave messages where a developer's own worker would pick them up:
    with Redis they use a queue of their own, without it an in-memory broker."""
    from bokvar.celery import app as celery_app

    from .celery_worker import new_queue_name

    if os.environ.get("REDIS_URL"):
        celery_app.conf.task_default_queue = new_queue_name()
    else:
        celery_app.conf.broker_url = "memory://"
        celery_app.conf.result_backend = "cache+memory://"
    yield


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real worker process on the real Redis broker (skipped or failed without Redis)."""
    from bokvar.celery import app as celery_app

    from .celery_worker import start_worker, stop_worker
    from .services import redis_url_or_skip

    url = redis_url_or_skip()
    with django_db_blocker.unblock():
        worker = start_worker(url, celery_app.conf.task_default_queue)
    yield worker
    stop_worker(worker)


@pytest.fixture
def private_redis():
    """A redis-server of the test's own (tests/private_redis.py), stopped at the end."""
    import shutil

    from .private_redis import PrivateRedis
    from .services import unavailable

    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed: no private broker to restart")
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()
