"""The figures the steering group reads, in the order they are shown: one plain list.

Each provider module counts one domain with aggregate queries and defines its figures
(`steering.figures.base.Figure`); this list is the one place that says which figures
exist and in which order. `steering.stats` does everything else: suppression, periods,
comparisons, key figures; the pages, exports, API and monthly reports follow it.

To add a figure (or a new source, such as the survey results of issue 20),
write its provider in a module here, add it to `FIGURES`, and say how it behaves over time
(`over_time`: SUM, DISTINCT or END). See docs/statistics.md.
"""

from __future__ import annotations

from . import cases, handovers, housing, partners, returns, surveys, workflow
from .base import DISTINCT, END, SUM, Column, Compute, Counter, Figure, Scope

__all__ = [
    "COUNTERS",
    "FROM_DISTRIBUTIONS",
    "MONTH_COUNTERS",
    "DISTINCT",
    "END",
    "FIGURES",
    "SUM",
    "Column",
    "Compute",
    "Counter",
    "Figure",
    "Scope",
]

FIGURES: list[Figure] = [
    cases.NEW_CASES,
    cases.CLOSED_CASES,
    workflow.SIGNALS_BY_KIND,
    workflow.DAYS_TO_FIRST_CONTACT,
    workflow.NEW_THREATS,
    workflow.THREAT_OUTCOMES,
    workflow.CHILDREN_UNDER_THREAT,
    workflow.CHILDREN_IN_EVICTIONS,
    housing.SHELTER_NIGHTS,
    housing.SHELTER_COST,
    housing.PLACEMENTS,
    housing.TAKEOVERS,
    returns.RETURNS_TO_HOMELESSNESS,
    housing.COST_FORECAST,
    handovers.HANDOVERS_BETWEEN_UNITS,
    handovers.HANDOVERS_BY_PAIR,
    partners.REFERRALS_BY_PARTNER,
    partners.MEETING_PLACE_VISITS,
    # Client surveys (issue 20, point 6), kept together at the end.
    surveys.SURVEY_ANSWERS,
    surveys.SURVEY_SCALES,
]


# What a longer period counts on its own (not a sum of its months: people counted once,
# medians, placements current during it, the people behind sums, the tables' rows),
# counted for several periods at once (`steering.stats.periods_tables`). A figure of that
# kind without a counter is still right, but costs its own queries for each period.
COUNTERS: list[Counter] = [
    workflow.count_days_periods,
    workflow.count_periods,
    housing.count_periods,
    handovers.count_periods,
    partners.count_periods,
]

# What a month counts that a longer period takes from its months (sums of months, the
# forecast as known at the period's end), counted for several months at once with the
# `COUNTERS` (`steering.stats.months_tables`: a report's trend, a refresh). Together
# they answer every figure's `compute`, `district_total`, `rows` and `unassigned`
# ("unassigned" for the district, "municipality" for no district), so a month costs no
# query of its own; a figure left out is still right, but costs its own queries.
MONTH_COUNTERS: list[Counter] = [
    cases.count_months,
    workflow.count_months,
    housing.count_months,
    returns.count_months,
    handovers.count_months,
    partners.count_months,
    surveys.count_months,
]

# Counters left out when every month of the periods kept the distribution of these
# figures' values (`MonthlyReport.distributions`): the medians are then made from the
# months (`steering.stats.periods_tables`), not counted from the records again.
FROM_DISTRIBUTIONS: dict[Counter, set[str]] = {
    workflow.count_days_periods: {workflow.DAYS_TO_FIRST_CONTACT.key},
}


def all_figures() -> list[Figure]:
    return list(FIGURES)


def get(key: str) -> Figure:
    return next(f for f in FIGURES if f.key == key)
