"""The navigation's badges are counted on every page with a statement compiled once per
reader, their roles and the day (home.navigation, issue 22): the numbers are those of
the moment, one reader's statement never counts for another, a change of roles gives a
new one, and building the badges reads nothing from the database that the key would
not cover."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bokvar import services as org_services
from bokvar.models import District, Role, Unit, User
from bokvar.prepared import prepares
from cases.evictions.services.landlord_signals import SignalInput, register_signal
from cases.evictions.services.landlords import register_landlord
from cases.models import Landlord
from home import navigation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_statements_kept():
    """Each test starts and ends with no badge statement kept: the tests count
    compilations, and another test of the process may have compiled its reader's."""
    navigation._COUNTERS.clear()
    yield
    navigation._COUNTERS.clear()


NAV = re.compile(r'<nav aria-label="[^"]*" class="main-nav">(.*?)</nav>', re.S)


def _signals_badge(client) -> int:
    """The number beside "Signals" in the navigation of the case list, 0 when none."""
    html = client.get(reverse("cases:list")).content.decode()
    found = NAV.search(html)
    assert found, "the page has no main navigation"
    nav = found[1]
    href = re.escape(reverse("cases:signals"))
    link = re.search(rf'href="{href}"[^>]*>[^<]*(?:<span class="badge"[^>]*>(\d+)</span>)?', nav)
    assert link, "the coordinator's navigation has no Signals entry"
    return int(link[1] or 0)


@pytest.fixture
def landlord(org):
    return register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Familjebostäder"
    )


def _signal(coordinator, landlord) -> None:
    register_signal(
        actor=coordinator,
        landlord=landlord,
        data=SignalInput(kind="neglect", received_on=timezone.localdate(), channel="phone"),
    )


def test_the_badge_counts_the_rows_of_the_moment_with_the_statement_kept(org, landlord, client):
    coordinator = org.users["coordinator"]
    client.force_login(coordinator, backend="django.contrib.auth.backends.ModelBackend")
    with mock.patch.object(navigation, "counter", wraps=navigation.counter) as compiled:
        before = _signals_badge(client)
        _signal(coordinator, landlord)
        assert _signals_badge(client) == before + 1
        _signal(coordinator, landlord)
        assert _signals_badge(client) == before + 2
    # Three pages of the same reader, one compilation: the statement ran each time.
    assert compiled.call_count == 1


def test_one_readers_badge_never_counts_for_another(org, landlord, client):
    north = org.users["coordinator"]
    _signal(north, landlord)
    south_district = District.objects.create(name="Södermalm", code="sodermalm")
    south_team = org_services.create_unit(
        district=south_district, name="Bo Kvar Söder", kind=Unit.Kind.HOUSING_TEAM
    )
    south = UserFactory(username="coordinator_south")
    org_services.add_membership(user=south, unit=south_team, role=Role.COORDINATOR)

    client.force_login(north, backend="django.contrib.auth.backends.ModelBackend")
    north_count = _signals_badge(client)
    assert north_count >= 1
    client.force_login(south, backend="django.contrib.auth.backends.ModelBackend")
    assert _signals_badge(client) == 0
    client.force_login(north, backend="django.contrib.auth.backends.ModelBackend")
    assert _signals_badge(client) == north_count
    # Given the north district too, the south coordinator's roles (the key) change: the
    # badge counts the north's signals from the next page on.
    org_services.add_membership(
        user=south, unit=org.units[Unit.Kind.HOUSING_TEAM], role=Role.COORDINATOR
    )
    client.force_login(south, backend="django.contrib.auth.backends.ModelBackend")
    assert _signals_badge(client) == north_count


@pytest.mark.parametrize("role", ["coordinator", "caseworker", "guide", "steering", "auditor"])
def test_building_the_badges_reads_nothing_but_the_roles(org, role):
    """What the statement is compiled from must be in its key. Building the badges reads
    the reader's roles (in the key) and nothing else: a badge that read something more
    from the database (e.g. a list of ids bound into the statement) would be kept with
    a stale value, so it must fail here first."""
    navigation._COUNTERS.clear()
    request = RequestFactory().get(reverse("cases:list"))
    request.user = User.objects.get(pk=org.users[role].pk)  # roles not yet loaded
    with CaptureQueriesContext(connection) as queries:
        entries = navigation.items_for(request)
    badges = [entry for entry in entries if entry["badge"] is not None]
    assert badges, f"the {role} has no badge"
    sql = [q["sql"] for q in queries.captured_queries]
    if prepares(connection.alias):
        # The count on its generic plan (bokvar.prepared.generic_plan): the plan mode is
        # set around it, and nothing else is read.
        assert len(sql) == 4, sql
        assert (sql[1], sql[3]) == (
            "SET plan_cache_mode = force_generic_plan",
            "RESET plan_cache_mode",
        ), sql
        sql = [sql[0], sql[2]]
    assert len(sql) == 2, sql
    assert "bokvar_membership" in sql[0]
    assert sql[1].startswith("SELECT (SELECT COUNT(*)")
