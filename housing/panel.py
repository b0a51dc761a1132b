"""The housing part of the case page: the housing chain, placements and this year's cost."""

from __future__ import annotations

from django.utils import timezone

from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors

from . import selectors
from .models import Placement


def case_panel(request, case) -> dict:
    today = timezone.localdate()
    forecast = selectors.forecasts(request.user, year=today.year, as_of=today, case_ids=[case.pk])
    may_write = case_selectors.can_write_case(request.user, case)
    return {
        "chain": selectors.housing_chain(request.user, case),
        "placements": list(
            Placement.objects.filter(case=case).select_related("apartment", "guide")
        ),
        "forecast": forecast[0] if forecast else None,
        "may_write_housing": may_write,
        "may_place": may_write and selectors.may_place(request.user, case),
        "year": today.year,
        "cost_items": selectors.case_cost_items(case, year=today.year),
        # Cost notes are free text about the household (the one rule).
        "withheld": people_selectors.Sight(request.user).hides_case(case),
        "nights": selectors.case_shelter_nights(request.user, case, today=today),
        # Who may add a cost or a night here may also remove a wrong one.
        "may_remove": may_write and roles_of(request.user).has(*CASE_STAFF),
    }


def person_panel(request, person) -> dict:
    today = timezone.localdate()
    chain = selectors.person_chain(request.user, person)
    return {
        "chain": chain,
        "current": selectors.current_step(chain, today),
        "nights_by_year": selectors.shelter_nights_by_year(person),
    }
