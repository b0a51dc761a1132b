"""The housing part of the case page: the housing chain, placements and this year's cost."""

from __future__ import annotations

from django.utils import timezone

from cases import selectors as case_selectors

from . import selectors
from .models import Placement


def case_panel(request, case) -> dict:
    today = timezone.localdate()
    forecast = selectors.forecasts(request.user, year=today.year, as_of=today, case_ids=[case.pk])
    return {
        "chain": selectors.housing_chain(request.user, case),
        "placements": list(
            Placement.objects.filter(case=case).select_related("apartment", "guide")
        ),
        "forecast": forecast[0] if forecast else None,
        "may_write_housing": case_selectors.can_write_case(request.user, case),
    }


def person_panel(request, person) -> dict:
    today = timezone.localdate()
    chain = selectors.person_chain(request.user, person)
    return {
        "chain": chain,
        "current": selectors.current_step(chain, today),
        "nights_by_year": selectors.shelter_nights_by_year(person),
    }
