"""The housing part of the case page: the housing chain, placements and this year's cost."""

from __future__ import annotations

from django.template.backends.utils import csrf_input
from django.utils import timezone

from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors
from cases.core.selectors.rows import CaseRows
from cases.models import Case

from . import forecast, presenters, selectors
from .models import CostItem, Placement

# The case's placements and this year's cost items (`selectors.case_cost_items`), read
# with the case's other lists (housing/apps.py adds them to the case page's).
PLACEMENTS = CaseRows(
    "placements",
    lambda request, of: Placement.objects.filter(case_id=of("pk")).order_by("-start_on", "-id"),
    related=("apartment", "guide"),
)
COST_ITEMS = CaseRows(
    "cost_items",
    lambda request, of: CostItem.objects.filter(
        case_id=of("pk"), on__year=timezone.localdate().year
    ).order_by("-on", "-id"),
    related=("category",),
)

# The household's shelter nights of the year that the reader may see: the case's list of
# nights and its forecast come from these, once each is given its case (`own_nights`).
NIGHTS = CaseRows(
    "nights",
    lambda request, of: selectors.case_nights(
        request.user,
        of("household_id"),
        year=timezone.localdate().year,
        as_of=timezone.localdate(),
    ),
    values=forecast.NIGHT,
)

# The household's nights for its housing chain (one a shelter and night: the night and the
# shelter's name, all the chain shows), and the reader's housing memberships
# (`selectors.may_place`): read with the case's other lists.
CHAIN_NIGHTS = CaseRows(
    "chain_nights",
    lambda request, of: selectors.chain_nights(request.user, of("household_id")),
    values=selectors.CHAIN_STAY,
)
HOUSING_MEMBERSHIPS = CaseRows(
    "housing_memberships",
    lambda request, of: selectors.housing_memberships(request.user).order_by("id"),
    related=("unit",),
)
# The household's cases and placements, all of them (not only those the reader may see):
# which case a night belongs to, and whether the household was placed that night
# (`forecast.own_nights`), as the forecasts of the lists and statistics tell it. Read,
# never shown.
HOUSEHOLD_CASES = CaseRows(
    "household_cases",
    lambda request, of: Case.objects.filter(household_id=of("household_id")).order_by("id"),
    values=forecast.HOUSEHOLD_CASE,
)
HOUSEHOLD_PLACEMENTS = CaseRows(
    "household_placements",
    lambda request, of: Placement.objects.filter(household_id=of("household_id")).order_by("id"),
    values=forecast.HOUSEHOLD_PLACEMENT,
)
ROWS = [
    PLACEMENTS,
    COST_ITEMS,
    NIGHTS,
    CHAIN_NIGHTS,
    HOUSING_MEMBERSHIPS,
    HOUSEHOLD_CASES,
    HOUSEHOLD_PLACEMENTS,
]


def case_panel(request, case) -> dict:
    """The housing section: the case's placements, its shelter nights and cost items of
    the year are read once each and serve the chain, the lists and the forecast
    (`selectors.case_forecast`, the same figures as `forecasts` without its queries)."""
    today = timezone.localdate()
    placements = PLACEMENTS.for_page(request, case)
    nights = forecast.own_nights(
        [forecast.Night(*row) for row in NIGHTS.for_page(request, case)],
        cases=HOUSEHOLD_CASES.for_page(request, case),
        placements=HOUSEHOLD_PLACEMENTS.for_page(request, case),
        as_of=today,
    )
    cost_items = COST_ITEMS.for_page(request, case)
    may_write = case_selectors.may_write(request, case)
    # Who may add a cost or a night here may also remove a wrong one.
    may_remove = may_write and roles_of(request.user).has(*CASE_STAFF)
    # The nights that count for this case (each night belongs to one case of the
    # household), newest first: `selectors.case_shelter_nights` from the same rows.
    case_nights = [n for n in nights if getattr(n, "owner", None) == case.pk]
    token = csrf_input(request) if may_remove else ""
    panel = {
        "chain": selectors.housing_chain(
            request.user,
            case,
            placements=placements,
            stays=CHAIN_NIGHTS.for_page(request, case),
        ),
        "placements": placements,
        "forecast": selectors.case_forecast(
            case,
            year=today.year,
            as_of=today,
            nights=nights,
            cost_items=cost_items,
            placements=placements,
        ),
        "may_write_housing": may_write,
        "may_place": may_write
        and selectors.may_place(
            request.user,
            case,
            district_ids=frozenset(
                m.unit.district_id for m in HOUSING_MEMBERSHIPS.for_page(request, case)
            ),
        ),
        "year": today.year,
        "cost_items": cost_items,
        # Cost notes are free text about the household (the one rule).
        "withheld": case_selectors.hides_household(request, case),
        "nights": case_nights,
        "night_rows": presenters.night_rows(
            case_nights,
            case_id=case.pk,
            may_remove=may_remove,
            csrf_input=token,
        ),
        "may_remove": may_remove,
    }
    # The section's markup, written in Python (its template was the case page's costliest).
    return panel | {"html": presenters.case_section(panel, case_id=case.pk, csrf_input=token)}


def person_panel(request, person) -> dict:
    today = timezone.localdate()
    chain = selectors.person_chain(request.user, person)
    return {
        "chain": chain,
        "current": selectors.current_step(chain, today),
        "nights_by_year": selectors.shelter_nights_by_year(person),
    }
