from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone

from bokvar.models import Unit
from cases.core.services.cases import close_case
from cases.models import Case
from steering import snapshots
from steering.periods import Period, last_full_month, parse_period
from tests.case_fixtures import case_maker, person
from tests.shared_data import SHARED, load_organisation, register_layer


def build_stats_cases(org, make_case):
    """Known answers for March 2026 in the adult unit and the housing team.

    Adult unit: 6 eviction-prevention cases opened in March 2026 (two with
    children: 2 and 1 child), 2 homelessness cases opened in March; 3 of the
    eviction cases closed in March (lease kept, lease kept, evicted with 2 children).
    Housing team: 7 eviction-prevention cases opened in February 2026, still open,
    and 1 opened in March 2025 (the same month a year earlier).
    """
    coordinator = org.users["coordinator"]
    made = []
    for n in range(6):
        children = [2015, 2018] if n == 0 else ([2020] if n == 1 else [])
        made.append(
            make_case(
                unit_kind=Unit.Kind.ADULT,
                people=[person("Stat", f"Adult{n}")],
                children=children,
                opened_on=date(2026, 3, 2 + n),
            )
        )
    for n in range(2):
        make_case(
            unit_kind=Unit.Kind.ADULT,
            kind="homelessness",
            people=[person("Stat", f"Homeless{n}")],
            opened_on=date(2026, 3, 10 + n),
        )
    for n in range(7):
        make_case(
            unit_kind=Unit.Kind.HOUSING_TEAM,
            people=[person("Stat", f"Team{n}")],
            opened_on=date(2026, 2, 3 + n),
        )
    make_case(
        unit_kind=Unit.Kind.HOUSING_TEAM,
        people=[person("Stat", "Earlier")],
        opened_on=date(2025, 3, 5),
    )
    for case, outcome in [(made[2], "lease_kept"), (made[3], "lease_kept"), (made[0], "evicted")]:
        close_case(
            actor=coordinator,
            case_id=case.pk,
            expected_version=case.version,
            outcome=outcome,
            closed_on=date(2026, 3, 28),
        )
    return made


@register_layer("stats_cases")
def _build_stats_cases_layer() -> list[int]:
    district, units, users = load_organisation()
    org = SimpleNamespace(district=district, units=units, users=users)
    return [case.pk for case in build_stats_cases(org, case_maker(org))]


@pytest.fixture
def stats_cases(org, make_case):
    """The cases of `build_stats_cases`, built once for consecutive tests that use them
    (tests/shared_data.py), else here."""
    ids = SHARED.layer_data("stats_cases")
    if ids is None:
        return build_stats_cases(org, make_case)
    by_id = Case.objects.in_bulk(ids)
    return [by_id[pk] for pk in ids]


def publish(district, period: Period) -> None:
    """Publish `period`'s report as its first reader does (the dashboard, an export, the
    API, the steering group's start page): the trend's 24 months and the compared
    periods."""
    snapshots.report_for(district=district, period=period)


# The demo district's last full month published on the organisation alone: what the
# first reader of the dashboard, the exports or the steering group's start page without
# a period publishes. The tests using it check who may open those pages (the status),
# not what publishing makes (tests/steering/test_snapshots.py, test_counters.py and the
# content tests of test_views.py publish cold): each of them published the same 24 empty
# months again, about a second of CPU each.
@register_layer("last_month_published")
def _build_last_month_published_layer() -> bool:
    district, _units, _users = load_organisation()
    publish(district, last_full_month(timezone.localdate()))
    return True


@pytest.fixture
def last_month_published(org):
    """The last full month published (a layer for consecutive tests, else here)."""
    if SHARED.layer_data("last_month_published") is None:
        publish(org.district, last_full_month(timezone.localdate()))


# March 2026 published on `stats_cases` (tests/steering/test_snapshots.py: the published
# figures stay closed to the other roles): the tests published it first themselves.
@register_layer("stats_march_published")
def _build_stats_march_published_layer() -> bool:
    district, _units, _users = load_organisation()
    publish(district, parse_period("2026-03"))
    return True


@pytest.fixture
def stats_march_published(org, stats_cases):
    """March 2026 published on `stats_cases` (a layer for consecutive tests, else here)."""
    if SHARED.layer_data("stats_march_published") is None:
        publish(org.district, parse_period("2026-03"))
