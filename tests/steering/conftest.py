from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from bokvar.models import Unit
from cases.core.services.cases import close_case
from cases.models import Case
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
