"""Reads for the housing chain: scoped by the cases the user may see, aggregates for
comparisons and the cost forecast (no person rows leave this module for statistics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Min, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils.translation import gettext as _

from bokvar.models import Membership, Unit, User
from bokvar.roles import HOUSING
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors
from cases.models import Case

from .forecast import (  # noqa: F401  (the forecast's public names, read from here too)
    Forecast,
    case_forecast,
    case_nights,
    days_in_year,
    forecast_whole_year,
    forecasts,
    forecasts_for_cases,
    forecasts_on_days,
    night_case_ids,
    placement_cost,
    totals_per_unit,
)
from .models import Apartment, CostItem, Placement, ShelterNight

# --- Comparisons (aggregates only) ---------------------------------------------------


@dataclass(frozen=True)
class Totals:
    nights: int
    cost: Decimal


def shelter_night_totals(start: date, end: date, unit_ids=None) -> Totals:
    qs = ShelterNight.objects.filter(night__gte=start, night__lte=end)
    if unit_ids is not None:
        qs = qs.filter(paying_unit_id__in=unit_ids)
    row = qs.aggregate(nights=Count("id"), cost=Sum("cost"))
    return Totals(nights=row["nights"], cost=row["cost"] or Decimal("0"))


def same_period_a_year_earlier(start: date, end: date) -> tuple[date, date]:
    def back(d: date) -> date:
        try:
            return d.replace(year=d.year - 1)
        except ValueError:  # 29 February
            return d.replace(year=d.year - 1, day=28)

    return back(start), back(end)


def change_percent(before: int | Decimal, now: int | Decimal) -> Decimal | None:
    if not before:
        return None
    return (Decimal(now - before) * 100 / Decimal(before)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class Comparison:
    start: date
    end: date
    current: Totals
    previous: Totals
    nights_change: Decimal | None
    cost_change: Decimal | None


def compare_with_year_before(start: date, end: date, unit_ids=None) -> Comparison:
    current = shelter_night_totals(start, end, unit_ids)
    previous = shelter_night_totals(*same_period_a_year_earlier(start, end), unit_ids)
    return Comparison(
        start=start,
        end=end,
        current=current,
        previous=previous,
        nights_change=change_percent(previous.nights, current.nights),
        cost_change=change_percent(previous.cost, current.cost),
    )


def compare_for_user(user: User, start: date, end: date) -> Comparison:
    """The comparison for the districts the user works for as coordinator or guide:
    nights count towards their paying unit's district, as in the steering figures."""
    units = Unit.objects.filter(district_id__in=housing_district_ids(user)).values("pk")
    return compare_with_year_before(start, end, units)


# --- The housing chain ----------------------------------------------------------------


@dataclass(frozen=True)
class ChainStep:
    start: date
    end: date | None
    step: str
    label: str
    detail: str = ""


# What the chain reads of a shelter night: the night and its shelter's name.
CHAIN_STAY = ("night", "shelter__name")


def housing_chain(user: User, case: Case, *, placements=None, stays=None) -> list[ChainStep]:
    """The household's chain: shelter stays of its members the user may see, and the
    case's placements. A page that read them passes `placements` (the case's, with their
    apartment) and `stays` (`chain_nights`' `CHAIN_STAY` values)."""
    if stays is None:
        stays = chain_nights(user, case.household_id).values_list(*CHAIN_STAY)
    if placements is None:
        placements = Placement.objects.filter(case=case).select_related("apartment")
    return _chain(list(stays), placements)


def chain_nights(user: User, household_id) -> QuerySet[ShelterNight]:
    """One night a shelter of the household's members the user may see, by shelter and
    night (`household_id`: an id or a reference to it)."""
    nights = ShelterNight.objects.filter(person__household_id=household_id).filter(
        people_selectors.persons_visible_q(user, prefix="person__")
    )
    if connection.vendor == "postgresql":
        return nights.order_by("shelter__name", "night").distinct("shelter__name", "night")
    # DISTINCT ON is PostgreSQL's: elsewhere (SQLite, the embedded default) the first
    # night of each shelter and night by its key.
    first = nights.order_by().values("shelter_id", "night").annotate(first=Min("pk"))
    return ShelterNight.objects.filter(pk__in=first.values("first")).order_by(
        "shelter__name", "night"
    )


def person_chain(user: User, person) -> list[ChainStep]:
    """One person's chain: their own shelter stays, and the placements of the cases of
    their household that the user may see."""
    cases = case_selectors.visible_cases(user).filter(household_id=person.household_id)
    nights = (
        ShelterNight.objects.filter(person=person)
        .order_by("shelter__name", "night")
        .values_list("night", "shelter__name")
        .distinct()
    )
    return _chain(nights, Placement.objects.filter(case__in=cases))


@dataclass(frozen=True)
class NightsInYear:
    year: int
    nights: int
    cost: Decimal


def shelter_nights_by_year(person) -> list[NightsInYear]:
    """A person's shelter nights and their cost per year, newest first (one query)."""
    rows = (
        ShelterNight.objects.filter(person=person)
        .annotate(year=ExtractYear("night"))
        .values("year")
        .annotate(nights=Count("id"), cost=Sum("cost"))
        .order_by("-year")
    )
    return [NightsInYear(r["year"], r["nights"], r["cost"] or Decimal("0")) for r in rows]


def current_step(chain: list[ChainStep], today: date) -> ChainStep | None:
    """Where the person is now: the latest step still running today, if any."""
    running = [s for s in chain if s.start <= today and (s.end is None or s.end >= today)]
    return running[-1] if running else None


def _chain(nights, placements_qs) -> list[ChainStep]:
    """Shelter stays (consecutive nights at one shelter; `nights`: (night, shelter name)
    pairs, by shelter and night) and placements, in time order; a contract takeover ends
    the chain in the client's own home."""
    steps: list[ChainStep] = []
    run = None
    for night, shelter in nights:
        if run and run[2] == shelter and night - run[1] <= timedelta(days=1):
            run[1] = night
        else:
            if run:
                steps.append(_shelter_step(run))
            run = [night, night, shelter]
    if run:
        steps.append(_shelter_step(run))
    if isinstance(placements_qs, QuerySet):
        placements_qs = placements_qs.select_related("apartment")
    for p in placements_qs:
        steps.append(
            ChainStep(
                p.start_on,
                p.end_on,
                p.apartment.kind,
                p.apartment.get_kind_display(),
                p.get_outcome_display(),
            )
        )
        if p.outcome == Placement.Outcome.TAKEOVER:
            steps.append(
                ChainStep(p.takeover_on, None, "own_contract", _("Own contract (takeover)"))
            )
    return sorted(steps, key=lambda s: (s.start, s.step))


def _shelter_step(run) -> ChainStep:
    first, last, shelter = run
    nights = (last - first).days + 1
    return ChainStep(
        first,
        last,
        "shelter",
        _("Night shelter"),
        _("%(shelter)s, %(n)s nights") % {"shelter": shelter, "n": nights},
    )


# --- Apartments and placements ----------------------------------------------------------


def housing_district_ids(user: User) -> frozenset[int]:
    """Districts in which the user is a housing coordinator or a housing guide: the
    districts whose apartments they administer and whose shelter nights they compare."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    return frozenset(
        Membership.objects.filter(
            user=user, unit__is_active=True, role__in=list(HOUSING)
        ).values_list("unit__district_id", flat=True)
    )


def may_place(user: User, case: Case, *, district_ids: frozenset[int] | None = None) -> bool:
    """Who records a placement on a case they may write: the district's coordinators and
    guides (DESIGN §2); the caller has checked the write access. `district_ids`: the
    user's `housing_district_ids`, when the page has read them."""
    if district_ids is None:
        district_ids = housing_district_ids(user)
    return case.responsible_unit.district_id in district_ids


def housing_memberships(user: User) -> QuerySet[Membership]:
    """The memberships `housing_district_ids` reads (with their unit)."""
    return Membership.objects.filter(user=user, unit__is_active=True, role__in=list(HOUSING))


def apartments_for(user: User):
    roles = roles_of(user)
    return Apartment.objects.filter(district_id__in=roles.district_ids).select_related("landlord")


def may_administer_apartment(user: User, apartment: Apartment) -> bool:
    return apartment.district_id in housing_district_ids(user)


def get_apartment_for_user(user: User, apartment_id: int, *, write: bool = False) -> Apartment:
    """404 where the apartment is outside the user's districts; 403 where they may see
    it but not change it (not its district's coordinator or guide)."""
    apartment = apartments_for(user).filter(pk=apartment_id).first()
    if apartment is None:
        raise Http404
    if write and not may_administer_apartment(user, apartment):
        raise PermissionDenied
    return apartment


def get_placement_for_user(user: User, placement_id: int) -> Placement:
    placement = (
        Placement.objects.filter(pk=placement_id, case__in=case_selectors.visible_cases(user))
        .select_related("apartment", "case", "guide", "case__responsible_unit")
        .first()
    )
    if placement is None:
        raise Http404
    return placement


# --- A case's costs this year ----------------------------------------------------------

# Cost items and shelter nights are added to a case, and a wrong one removed, by the case
# staff (bokvar.roles.CASE_STAFF) who may work on the case: the district's coordinators,
# the case's guide, its unit's caseworkers.


def case_cost_items(case: Case, *, year: int) -> list[CostItem]:
    """The case's other cost items dated in the year, newest first (one query)."""
    return list(CostItem.objects.filter(case=case, on__year=year).select_related("category"))


def case_shelter_nights(user: User, case: Case, *, today: date) -> list[ShelterNight]:
    """The shelter nights of the year up to today that count for this case in the cost
    forecast (each night belongs to one case of the household), of the household's
    people the user may see; newest first, one query."""
    _open_case, owner = night_case_ids(today)
    return list(
        ShelterNight.objects.filter(
            person__household_id=case.household_id,
            night__gte=date(today.year, 1, 1),
            night__lte=today,
        )
        .filter(people_selectors.persons_visible_q(user, prefix="person__"))
        .annotate(owner=owner)
        .filter(owner=case.pk)
        .select_related("shelter")
        .order_by("-night", "-id")
    )
