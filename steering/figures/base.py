"""What a figure is: its columns, how its provider counts, and how it behaves over time.

A provider only counts, with aggregate queries (COUNT/SUM over plain, coarse columns),
never loading a person row or decrypting anything. Everything else (district totals,
suppression, the periods, comparisons, charts and exports) is `steering.stats`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from django.db import connection
from django.db.models import BigIntegerField, Count, DateField, Expression, F, Q, QuerySet, Value
from django.db.models.functions import TruncMonth
from django.utils.functional import Promise

from bokvar.models import District, Unit

from ..periods import Period

# How a figure's cell over a quarter, a year or a year to date relates to its months.
# SUM: the count of the period is the sum of its months' counts (things that happen on a
# day: new cases, evictions, nights). Such a cell is published only as the sum of the
# published month cells, so it can tell nothing the months do not.
SUM = "sum"
# DISTINCT: counted over the period on its own (people, households, placements current
# during the period): not a sum of months; suppressed with the months' hidden cells kept
# hidden.
DISTINCT = "distinct"
# END: as known at the end of the period (the cost forecast): the last month's cell.
END = "end"


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str


@dataclass(frozen=True)
class Scope:
    """What a provider counts for: one district, its units, one period.

    `counted` holds what a counter (`COUNTERS` in `steering.figures`) already counted for
    this period together with others, by (figure key, "compute" | "district_total" |
    "rows"): the statistics module uses it instead of calling the figure's own provider.
    Providers never read it."""

    district: District
    units: tuple[Unit, ...]
    period: Period
    counted: Mapping[tuple[str, str], object] = field(
        default_factory=lambda: MappingProxyType({}), compare=False, repr=False
    )

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    @property
    def dates(self) -> tuple[date, date]:
        return (self.period.start, self.period.end)


# A count figure returns {(unit_id, column_key): count};
# a sum figure (money, nights) returns {(unit_id, column_key): (sum, people)}.
Compute = Callable[[Scope], dict]

# A counter answers, for several periods of one district at once (the scopes differ only
# in their period), what some figures' `compute`, `district_total` and `rows` return for
# each: {(figure key, "compute" | "district_total" | "rows", period key): value}. It
# counts with one query per kind of record for all the periods together (a FILTER clause
# per period), so a first request for a longer period and the year before costs a fixed
# number of queries. Its answers must equal the figure's own providers' exactly
# (tests/steering/test_counters.py compares them).
Counter = Callable[[list[Scope]], dict[tuple[str, str, str], object]]


def any_of(conditions: list[Q]) -> Q:
    """Records that meet one of the conditions (the scopes' periods)."""
    out = Q()
    for condition in conditions:
        out |= condition
    return out


def count_by_month(
    qs: QuerySet,
    group: tuple[str, ...],
    day: str | Expression,
    scopes: list[Scope],
) -> list[dict[tuple, int]]:
    """For each scope, {group values: how many rows} of `qs` whose `day` (a date field's
    name or a date expression; a datetime is placed by its date in the current time
    zone) falls in the scope's period, grouped by the `group` fields. Groups
    with no row are left out, as a `values(*group).annotate(Count("id"))` per period
    leaves them out.

    One query for all the periods, grouped by calendar month: a period is whole months
    (`Period`), so its count is the sum of its months'. One aggregate, however many
    periods: a FILTER clause per period (a `Count(filter=...)` each) cost the ORM more
    to build than PostgreSQL to run."""
    months_asked = [m.start for scope in scopes for m in scope.period.month_periods()]
    rows = (
        qs.alias(_day=F(day) if isinstance(day, str) else day)
        .annotate(_month=TruncMonth("_day", output_field=DateField()))
        # On the month, not the day: the day's own index would be no better for a
        # district's rows, and with it PostgreSQL's generic plan for the prepared
        # statement (chosen after five runs on a kept connection) intersected the
        # district's rows with every row of the date range in the country: 142 ms
        # instead of 8 ms for a district's new cases at national scale.
        .filter(_month__range=(min(months_asked), max(months_asked)))
        .values(*group, "_month")
        .annotate(_n=Count("id"))
        .order_by()
    )
    months: dict[date, dict[tuple, int]] = {}
    for row in rows:
        months.setdefault(row["_month"], {})[tuple(row[name] for name in group)] = row["_n"]
    out: list[dict[tuple, int]] = []
    for scope in scopes:
        found: dict[tuple, int] = {}
        for month in scope.period.month_periods():
            for key, n in months.get(month.start, {}).items():
                found[key] = found.get(key, 0) + n
        out.append(found)
    return out


def units_and_district(qs: QuerySet, unit_field: str, aggregates: dict) -> dict:
    """{unit id: aggregates} for the units' rows and {None: aggregates} for the whole
    district, in one query: a distinct count of the district is its own aggregate
    (someone in two units' rows counts once), not the sum of the units'. The district
    row is there even when no record is. On PostgreSQL the grouped query gets the grand
    total as a second grouping set (one pass over the records); elsewhere it is a UNION
    ALL with the ungrouped aggregate."""
    units = qs.values(unit_field).annotate(**aggregates).order_by()
    if connection.vendor == "postgresql":
        sql, params = units.query.sql_with_params()
        head, grouped, by = sql.rpartition(" GROUP BY ")
        if grouped and "(" not in by:
            with connection.cursor() as cursor:
                cursor.execute(f"{head} GROUP BY GROUPING SETS (({by}), ())", params)
                names = [column.name for column in cursor.description]
                found = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            # The unit rows never have a null unit (the district's units), so the
            # null row is the grand total.
            return {row.pop(unit_field): row for row in found}
    whole = qs.values(_unit=Value(None, output_field=BigIntegerField()))
    rows = units.union(whole.annotate(**aggregates).order_by(), all=True)
    return {row.pop(unit_field): row for row in rows}


@dataclass(frozen=True)
class Figure:
    key: str
    title: Promise | str
    description: Promise | str
    columns: tuple[Column, ...]
    compute: Compute
    # The columns are parts of a whole, so each row gets a total column.
    additive: bool = False
    # A sum over people (kronor, nights): each cell carries the people behind it, and a
    # sum over fewer than the threshold of people is hidden like a small count.
    money: bool = False
    # What the sum counts: "money" (kronor) or "nights".
    unit: str = "money"
    over_time: str = SUM
    # A sentence the steering group reads beside the figure, e.g. "The goal is zero."
    goal: Promise | str = ""
    # A median figure's provider returns {unit_id: [durations]} (numbers, never rows);
    # the statistics module computes each unit's and the district's median and hides a
    # median over fewer values than the threshold. Its columns are the median and n.
    median: bool = False
    # Things not yet tied to a unit (e.g. landlord signals not linked to a case):
    # `unassigned(period, district)` returns {column_key: count}. For a district they are
    # one more row of the table ("not yet assigned to a unit", inside the district total);
    # with `district=None`, what has no district at all, published in a row of its own
    # below the district total for the whole municipality.
    unassigned: Callable[[Period, District | None], dict] | None = None
    # Columns counting distinct people or households: {column_key: count} for the whole
    # district, counted with its own aggregate (a person in two units' rows counts once),
    # published as the district total instead of the sum of the units. For a sum
    # figure: {column_key: people behind the district's sum}. No total column allowed.
    district_total: Callable[[Scope], dict] | None = None
    # A median per pair of units: the key of a count figure whose rows are the sending
    # units and columns the receiving ones; `compute` returns {(unit_id, column_key):
    # [durations]}. Each pair's count is that figure's published (suppressed) cell, and
    # its median is shown only with a published count and over at least the threshold.
    pairs_of: str | None = None
    # Another sum figure over the same people (shelter cost and shelter nights): both are
    # hidden in the same cells, so that one cannot be worked out from the other.
    same_cells_as: str | None = None
    # Rows other than the district's units: `rows(scope)` returns [(key, label)] (e.g.
    # the district's partner organisations or meeting places: organisations, never
    # people) and `compute` counts {(row key, column_key): count} for them. Such a table
    # is suppressed like any other; its labels are names of organisations.
    rows: Callable[[Scope], list[tuple[object, str]]] | None = None
