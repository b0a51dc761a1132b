"""The annual report of one or several meeting places (verksamhetsberättelse), against
the year before, computed from the anonymous daily tallies and the costs.

A fixed number of queries whatever the number of places or days: the tallies are summed
per place and year in one query, the costs in another, the weeks open in a third.

Definitions (also in the README):
- unique visitors: the sum of the "first visit this year" tallies (no identity is kept);
  for several places together it is the sum of the places', so a person who visits two
  places is counted twice;
- share of women: of the visits (a frequent visitor weighs more than a rare one);
- share from elsewhere: visits from another district or another municipality, of the
  visits whose residence is known;
- weeks open: calendar weeks with at least one tallied day; activities per week: the
  activities held divided by the weeks open;
- cost: the year's costs, rent per occasion times the tallied days; per visit and per
  unique visitor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db.models import Count, Sum
from django.db.models.functions import ExtractMonth, ExtractYear, TruncWeek

from .models import DailyTally, MeetingPlace, PlaceCost

SUMMED = [
    "visits",
    "new_visitors",
    "women",
    "men",
    "gender_other_or_unknown",
    "from_this_district",
    "from_other_district",
    "from_other_municipality",
    "residence_unknown",
    "activities",
    "participants",
    "meals",
]


def _ratio(numerator, denominator, places: int = 3) -> Decimal | None:
    if not denominator:
        return None
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum, ROUND_HALF_UP)


@dataclass
class YearFigures:
    year: int
    openings: int = 0
    weeks_open: int = 0
    cost: Decimal = Decimal(0)
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMED, 0))
    visits_by_month: list[int] = field(default_factory=lambda: [0] * 12)
    # First visits this year per month: their sum over months is the unique visitors of
    # those months (the steering figures sum them per month: steering/figures/partners.py).
    new_visitors_by_month: list[int] = field(default_factory=lambda: [0] * 12)

    @property
    def visits(self) -> int:
        return self.sums["visits"]

    @property
    def unique_visitors(self) -> int:
        return self.sums["new_visitors"]

    @property
    def meals(self) -> int:
        return self.sums["meals"]

    @property
    def activities(self) -> int:
        return self.sums["activities"]

    @property
    def share_women(self) -> Decimal | None:
        return _ratio(self.sums["women"], self.visits)

    @property
    def share_from_elsewhere(self) -> Decimal | None:
        known = self.visits - self.sums["residence_unknown"]
        elsewhere = self.sums["from_other_district"] + self.sums["from_other_municipality"]
        return _ratio(elsewhere, known)

    @property
    def activities_per_week(self) -> Decimal | None:
        return _ratio(self.activities, self.weeks_open, 1)

    @property
    def cost_per_visit(self) -> Decimal | None:
        return _ratio(self.cost, self.visits, 0) if self.cost else None

    @property
    def cost_per_visitor(self) -> Decimal | None:
        return _ratio(self.cost, self.unique_visitors, 0) if self.cost else None

    def as_dict(self) -> dict:
        def num(value):
            return None if value is None else float(value)

        return {
            "year": self.year,
            "visits": self.visits,
            "unique_visitors": self.unique_visitors,
            "share_women": num(self.share_women),
            "share_from_elsewhere": num(self.share_from_elsewhere),
            "openings": self.openings,
            "weeks_open": self.weeks_open,
            "activities": self.activities,
            "activities_per_week": num(self.activities_per_week),
            "participants": self.sums["participants"],
            "meals": self.meals,
            "cost": num(self.cost),
            "cost_per_visit": num(self.cost_per_visit),
            "cost_per_visitor": num(self.cost_per_visitor),
            "visits_by_month": self.visits_by_month,
            "counts": dict(self.sums),
        }


# The figures of a report, in order: (key, the YearFigures attribute). Labels are the
# views' and exports' business (translated there).
FIGURES = [
    "visits",
    "unique_visitors",
    "share_women",
    "share_from_elsewhere",
    "openings",
    "weeks_open",
    "activities",
    "activities_per_week",
    "meals",
    "cost",
    "cost_per_visit",
    "cost_per_visitor",
]


@dataclass
class Report:
    year: int
    places: list[MeetingPlace]
    # Per place id: (this year, the year before); and the places together.
    by_place: dict[int, tuple[YearFigures, YearFigures]]
    total: tuple[YearFigures, YearFigures]


def annual_report(places: Iterable[MeetingPlace], year: int) -> Report:
    places = list(places)
    ids = [p.pk for p in places]
    years = (year, year - 1)
    figures = {(pid, y): YearFigures(y) for pid in ids for y in years}
    total = {y: YearFigures(y) for y in years}
    tallies = DailyTally.objects.filter(place_id__in=ids, day__year__in=years)

    per_place = (
        tallies.annotate(y=ExtractYear("day"))
        .values("place_id", "y")
        .annotate(
            openings=Count("id"),
            weeks=Count(TruncWeek("day"), distinct=True),
            **{name: Sum(name) for name in SUMMED},
        )
        .order_by()
    )
    # The SUMMED columns are annotated from a list, which the django-stubs plugin cannot
    # see: its row type lacks them, so the rows are read as plain mappings.
    for row in cast("Iterable[Mapping[str, Any]]", per_place):
        f = figures[(row["place_id"], row["y"])]
        f.openings, f.weeks_open = row["openings"], row["weeks"]
        for name in SUMMED:
            f.sums[name] = row[name] or 0
            total[row["y"]].sums[name] += row[name] or 0
        total[row["y"]].openings += row["openings"]

    # Weeks in which any of the places was open: the places together.
    for row in (
        tallies.annotate(y=ExtractYear("day"))
        .values("y")
        .annotate(weeks=Count(TruncWeek("day"), distinct=True))
        .order_by()
    ):
        total[row["y"]].weeks_open = row["weeks"]

    for row in (
        tallies.annotate(y=ExtractYear("day"), m=ExtractMonth("day"))
        .values("place_id", "y", "m")
        .annotate(visits=Sum("visits"), new_visitors=Sum("new_visitors"))
        .order_by()
    ):
        month = row["m"] - 1
        figures[(row["place_id"], row["y"])].visits_by_month[month] = row["visits"]
        figures[(row["place_id"], row["y"])].new_visitors_by_month[month] = row["new_visitors"]
        total[row["y"]].visits_by_month[month] += row["visits"]
        total[row["y"]].new_visitors_by_month[month] += row["new_visitors"]

    for cost in PlaceCost.objects.filter(place_id__in=ids, year__in=years):
        f = figures[(cost.place_id, cost.year)]
        amount = cost.amount
        if cost.kind == PlaceCost.Kind.RENT_PER_OCCASION:
            amount = cost.amount * f.openings
        f.cost += amount
        total[cost.year].cost += amount

    return Report(
        year=year,
        places=places,
        by_place={pid: (figures[(pid, year)], figures[(pid, year - 1)]) for pid in ids},
        total=(total[year], total[year - 1]),
    )
