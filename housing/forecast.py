"""The annual cost forecast (vårdprognos) of each client, in a constant number of queries.

For a case and a year, up to `as_of`:

- **cost so far** = shelter nights + placements + other cost items of the year up to
  `as_of` (a placement costs its monthly cost × 12 spread over the year's days);
- **forecast** = cost so far
  + each running placement's monthly cost × 12 × days(as_of+1 .. 31 Dec, or its end
  if that is known and earlier) / days of the year
  + (nights and other items dated inside the case's period) × days(as_of+1 .. 31 Dec)
  / days(start .. as_of), where start is 1 January or the day the case opened if later.

Costs dated before the case opened (this year) are fixed: they count in the cost so
far but not in the rate. A closed case costs nothing more.

Each shelter night belongs to exactly one case of the person's household: the case
open on that night (opened_on ≤ night ≤ closed_on, or still open; if several, the one
opened last), otherwise the next case opened after the night (a cost from before the
case opened), otherwise the case closed last. So a household with two cases never has
the same night counted twice.

A shelter night when the household was placed in an apartment (registered only after a
confirmation) counts in the cost so far, since it was paid, but not in the rate: the
running placement's cost is what goes on, and projecting both would count the
household's housing twice for the rest of the year.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.core.signals import setting_changed
from django.db import connections
from django.db.models import Case as Choose
from django.db.models import Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from bokvar.compiled import convert_row, reads_watched
from bokvar.models import User
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors
from cases.models import Case

from .models import CostItem, Placement, ShelterNight

ZERO = Decimal("0")
CENT = Decimal("0.01")


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


@dataclass(frozen=True)
class Forecast:
    case_id: int
    number: str
    unit_id: int
    shelter_cost: Decimal
    placement_cost: Decimal
    other_cost: Decimal
    so_far: Decimal
    forecast: Decimal
    household_id: int | None = None


def placement_cost(monthly: Decimal, start: date, end: date, year: int) -> Decimal:
    """Cost of a placement over [start, end]: the monthly cost spread evenly over the year's days."""
    if end < start:
        return ZERO
    days = (end - start).days + 1
    return (monthly * 12 * days / days_in_year(year)).quantize(CENT)


def forecast_whole_year(
    *, so_far: Decimal, start: date, as_of: date, year: int, ended_on: date | None
) -> Decimal:
    """Project costs that accrue at an observed rate to the end of the year.

    `so_far` must hold only what accrued from `start` (1 January, or later if the case
    opened later) to `as_of`: the rate is so_far / days(start..as_of), and the rest of
    the year, days(as_of+1..31 Dec), is added at that rate. A case that has ended costs
    nothing more.
    """
    first = max(date(year, 1, 1), start)
    if ended_on is not None and ended_on <= as_of:
        return so_far
    elapsed = (as_of - first).days + 1
    if elapsed <= 0:
        return so_far
    remaining = (date(year, 12, 31) - as_of).days
    return so_far + (so_far * remaining / elapsed).quantize(CENT)


def night_case_ids(as_of: date):
    """Expressions for the case a night belongs to (see the module's docstring): the case
    open that night, and failing that the next one opened, or the one closed last. Only
    cases opened by `as_of` count, so the answer is the one known at `as_of`."""
    known = Case.objects.filter(
        household_id=OuterRef("person__household_id"), opened_on__lte=as_of
    ).order_by()
    night = OuterRef("night")
    open_then = known.filter(opened_on__lte=night).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=night)
    )
    opened_later = known.filter(opened_on__gt=night)
    open_case = Subquery(open_then.order_by("-opened_on", "-id").values("id")[:1])
    next_case = Subquery(opened_later.order_by("opened_on", "id").values("id")[:1])
    # Here every known case closed before the night (none open, none later).
    last_case = Subquery(known.order_by("-closed_on", "-id").values("id")[:1])
    return open_case, Coalesce(open_case, next_case, last_case)


def forecasts(user: User, *, year: int, as_of: date, case_ids=None) -> list[Forecast]:
    """The forecast of every case the user may see (or the given ones): four queries in all."""
    cases = case_selectors.visible_cases(user)
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    return forecasts_for_cases(cases, year=year, as_of=as_of, user=user)


def forecasts_for_cases(
    cases, *, year: int, as_of: date, user: User | None = None
) -> list[Forecast]:
    """The forecast of every case of the queryset `cases` active in the year up to `as_of`:
    four queries in all, whatever the number of cases (statistics use it for a district).
    Without a user (statistics), the four statements are compiled once per `cases` and
    run with each day's dates (`_KeptForecast`)."""
    as_of = min(as_of, date(year, 12, 31))
    jan1 = date(year, 1, 1)
    found = _KEPT.run(cases, jan1, as_of) if user is None else None
    if found is None:
        rows_qs, nights_qs, others_qs, placements_qs = _statements(cases, jan1, as_of, user)
        found = (list(rows_qs), list(nights_qs), list(others_qs), list(placements_qs))
    rows, night_rows, other_rows, placements = found
    nights: dict[int, tuple[Decimal, Decimal]] = {
        r["owner"]: (r["total"] or ZERO, r["in_period"] or ZERO) for r in night_rows
    }
    others: dict[int, tuple[Decimal, Decimal]] = {
        r["case_id"]: (r["total"] or ZERO, r["in_period"] or ZERO) for r in other_rows
    }
    # A placement costs what it did up to `as_of`; one still running goes on costing its
    # monthly cost to the end of the year (or to its end, if that is already known).
    so_far_placed, still_to_pay = _placement_costs(placements, year=year, as_of=as_of)
    return [
        _forecast(c, nights, others, so_far_placed, still_to_pay, year=year, as_of=as_of)
        for c in rows
    ]


def forecasts_on_days(
    cases, days: Iterable[tuple[int, date]]
) -> dict[tuple[int, date], list[Forecast]]:
    """`forecasts_for_cases(cases, year=y, as_of=d)` for every (y, d) of `days`, without a
    user (statistics): four queries per year, however many days.

    A publication of 24 months needs the forecast as known at each month's end. Made one
    day at a time, each day's nights statement runs the owner's correlated subqueries for
    every night from 1 January again (issue 22: about 180 ms a month at national scale).
    Here the statements run once, up to the year's last day asked for, and each night
    keeps what its owner depends on, so every day's sums follow in Python:

    - the case open that night does not depend on the day: it opened by the night, and
      the night is by the day;
    - failing that, the next case opened after the night owns it once the day has come to
      that case's opening; before, the case closed last of those opened by the night;
    - a night, a cost item and a placement count for a day from their own date on.
    """
    asked: dict[int, list[tuple[tuple[int, date], date]]] = {}
    for year, as_of in days:
        asked.setdefault(year, []).append(((year, as_of), min(as_of, date(year, 12, 31))))
    out: dict[tuple[int, date], list[Forecast]] = {}
    for year, wanted in asked.items():
        on_days = sorted({as_of for _key, as_of in wanted})
        made = dict(zip(on_days, _forecasts_of_year(cases, year, on_days), strict=True))
        for key, as_of in wanted:
            out[key] = made[as_of]
    return out


def _forecasts_of_year(cases, year: int, on_days: list[date]) -> list[list[Forecast]]:
    """The forecasts of `forecasts_on_days` for one year's days (sorted, each at most
    31 December), in the order of `on_days`."""
    jan1, last = date(year, 1, 1), on_days[-1]
    selected = cases.filter(opened_on__lte=last).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=jan1)
    )
    rows = list(
        selected.values(
            "id", "number", "responsible_unit_id", "household_id", "opened_on", "closed_on"
        )
    )

    def first_day(field: str) -> Choose:
        """The index of the first day in `on_days` on or after the record's date."""
        return Choose(
            *(When(**{f"{field}__lte": day}, then=Value(i)) for i, day in enumerate(on_days)),
            default=Value(len(on_days)),
            output_field=IntegerField(),
        )

    household = Case.objects.filter(household_id=OuterRef("person__household_id")).order_by()
    night = OuterRef("night")
    later = household.filter(opened_on__gt=night).order_by("opened_on", "id")
    night_groups = list(
        ShelterNight.objects.filter(
            person__household_id__in=selected.values("household_id"),
            night__gte=jan1,
            night__lte=last,
        )
        .annotate(
            open_case=night_case_ids(last)[0],
            next_case=Subquery(later.values("id")[:1]),
            next_opened_on=Subquery(later.values("opened_on")[:1]),
            last_case=Subquery(
                household.filter(opened_on__lte=night)
                .order_by("-closed_on", "-id")
                .values("id")[:1]
            ),
            placed=_placed(),
            counts_from=first_day("night"),
        )
        .order_by()
        .values("open_case", "next_case", "next_opened_on", "last_case", "placed", "counts_from")
        .annotate(total=Sum("cost"))
    )
    item_groups = list(
        CostItem.objects.filter(case_id__in=selected.values("id"), on__gte=jan1, on__lte=last)
        .annotate(counts_from=first_day("on"), in_case=Q(on__gte=F("case__opened_on")))
        .order_by()
        .values("case_id", "in_case", "counts_from")
        .annotate(total=Sum("amount"))
    )
    placements = [
        SimpleNamespace(**p)
        for p in Placement.objects.filter(case_id__in=selected.values("id"), start_on__lte=last)
        .filter(Q(end_on__isnull=True) | Q(end_on__gte=jan1))
        .values("case_id", "start_on", "end_on", "monthly_cost")
    ]
    made = []
    for i, as_of in enumerate(on_days):
        nights: dict[int, tuple[Decimal, Decimal]] = {}
        for g in night_groups:
            if g["counts_from"] > i:
                continue
            owner = g["open_case"]
            if owner is None:
                known_next = g["next_opened_on"] is not None and g["next_opened_on"] <= as_of
                owner = g["next_case"] if known_next else g["last_case"]
            total, in_period = nights.get(owner, (ZERO, ZERO))
            cost = g["total"] or ZERO
            rated = g["open_case"] is not None and not g["placed"]
            nights[owner] = (total + cost, in_period + cost if rated else in_period)
        others: dict[int, tuple[Decimal, Decimal]] = {}
        for item in item_groups:
            if item["counts_from"] > i:
                continue
            total, in_period = others.get(item["case_id"], (ZERO, ZERO))
            amount = item["total"] or ZERO
            others[item["case_id"]] = (
                total + amount,
                in_period + amount if item["in_case"] else in_period,
            )
        active = [p for p in placements if p.start_on <= as_of]
        so_far_placed, still_to_pay = _placement_costs(active, year=year, as_of=as_of)
        made.append(
            [
                _forecast(c, nights, others, so_far_placed, still_to_pay, year=year, as_of=as_of)
                for c in rows
                if c["opened_on"] <= as_of
            ]
        )
    return made


def _placed() -> Exists:
    """Whether the night's household was placed in an apartment that night."""
    return Exists(
        Placement.objects.filter(
            household_id=OuterRef("person__household_id"), start_on__lte=OuterRef("night")
        ).filter(Q(end_on__isnull=True) | Q(end_on__gte=OuterRef("night")))
    )


def _statements(cases, jan1: date, as_of: date, user: User | None) -> tuple[Any, Any, Any, Any]:
    """The four querysets of `forecasts_for_cases`: the cases (values), the nights' sums
    per case, the other items' sums per case, and the placements."""
    selected = cases.filter(opened_on__lte=as_of).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=jan1)
    )
    rows = selected.values(
        "id", "number", "responsible_unit_id", "household_id", "opened_on", "closed_on"
    )
    # Subqueries rather than lists of ids: always the same four queries, none left out
    # when there are no cases, and no long IN lists for a whole district.
    night_rows = ShelterNight.objects.filter(
        person__household_id__in=selected.values("household_id"),
        night__gte=jan1,
        night__lte=as_of,
    )
    if user is not None:
        # A protected person's nights count only for those granted to see them, as on
        # the housing chain: a sum per household would otherwise reveal their stays.
        # (Statistics pass no user: their sums are aggregated and suppressed.)
        night_rows = night_rows.filter(people_selectors.persons_visible_q(user, prefix="person__"))
    open_case, owner = night_case_ids(as_of)
    in_apartment = _placed()
    nights = (
        night_rows.annotate(open_case=open_case, owner=owner, placed=in_apartment)
        .order_by()
        .values("owner")
        .annotate(
            total=Sum("cost"),
            in_period=Sum("cost", filter=Q(open_case__isnull=False, placed=False)),
        )
    )
    others = (
        CostItem.objects.filter(case_id__in=selected.values("id"), on__gte=jan1, on__lte=as_of)
        .order_by()
        .values("case_id")
        .annotate(
            total=Sum("amount"), in_period=Sum("amount", filter=Q(on__gte=F("case__opened_on")))
        )
    )
    placements = Placement.objects.filter(
        case_id__in=selected.values("id"), start_on__lte=as_of
    ).filter(Q(end_on__isnull=True) | Q(end_on__gte=jan1))
    return rows, nights, others, placements


# Stand for 1 January and the as-of day while the statements are compiled (two pairs:
# the statements are compiled with both, and kept only if the dates are plain parameters,
# in the same places, and nothing else differs). No case dates from the year 1000.
_STAND_INS = ((date(1000, 2, 3), date(1000, 5, 7)), (date(1001, 3, 4), date(1001, 8, 9)))


@dataclass(frozen=True)
class _Kept:
    """One of the four statements: its text, its parameters with the stand-ins, where
    1 January and the as-of day go, and how to make its rows as `QuerySet.values` does."""

    db: str
    sql: str
    params: tuple[Any, ...]
    jan1_at: tuple[int, ...]
    as_of_at: tuple[int, ...]
    names: tuple[str, ...]
    # (position, converters, expression) of each column that has converters
    converters: tuple[tuple[int, tuple[Callable[..., Any], ...], Any], ...]

    def rows(self, jan1: date, as_of: date) -> list[dict[str, Any]]:
        params = list(self.params)
        for i in self.jan1_at:
            params[i] = jan1
        for i in self.as_of_at:
            params[i] = as_of
        db = connections[self.db]
        with db.cursor() as cursor:
            cursor.execute(self.sql, params)
            found = cursor.fetchall()
        return [
            dict(zip(self.names, convert_row(list(row), self.converters, db), strict=True))
            for row in found
        ]


class _KeptForecast:
    """The four statements of `forecasts_for_cases` without a user, compiled once per
    `cases` (its database and compiled text: a district's cases) and run with each
    day's dates. Only the text is kept: every call reads the rows as they are now. A
    statement whose building read the database is not kept, nor one whose dates are not
    plain parameters; then the ORM's own way runs. At most `most` keys a process,
    emptied on any settings change (tests)."""

    def __init__(self, most: int = 500) -> None:
        self.statements: dict[Hashable, tuple[_Kept, ...]] = {}
        self.most = most
        setting_changed.connect(self._forget, weak=False)

    def _forget(self, **kwargs: object) -> None:
        self.statements.clear()

    def run(self, cases, jan1: date, as_of: date) -> tuple[list[Any], ...] | None:
        """The four statements' rows for the day, or None (the caller asks the ORM)."""
        key = _key(cases)
        if key is None:
            return None
        statements = self.statements.get(key)
        if statements is None:
            statements = _compile(cases)
            if statements is None:
                return None
            if len(self.statements) >= self.most:
                self.statements.clear()
            self.statements[key] = statements
        rows, nights, others, placements = (s.rows(jan1, as_of) for s in statements)
        return rows, nights, others, [SimpleNamespace(**p) for p in placements]


def _key(cases) -> Hashable | None:
    if cases._fields is not None or cases._prefetch_related_lookups:
        return None
    sql, params = cases.query.sql_with_params()
    key = (cases.db, cases.model, sql, tuple(params))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _compile(cases) -> tuple[_Kept, ...] | None:
    """The four statements with stand-in dates, or None when they cannot be kept."""
    compiled = []
    with reads_watched() as reads:
        for jan1, as_of in _STAND_INS:
            rows, nights, others, placements = _statements(cases, jan1, as_of, None)
            placements = placements.values("case_id", "start_on", "end_on", "monthly_cost")
            made = []
            for qs in (rows, nights, others, placements):
                compiler = qs.query.get_compiler(using=qs.db)
                sql, params = compiler.as_sql()
                made.append((qs, compiler, sql, tuple(params)))
            compiled.append(made)
    if reads:
        return None
    (a_jan1, a_as_of), (b_jan1, b_as_of) = _STAND_INS
    kept = []
    for (qs, compiler, sql, params), (_qs, _compiler, b_sql, b_params) in zip(
        *compiled, strict=True
    ):
        if sql != b_sql or len(params) != len(b_params) or compiler.has_extra_select:
            return None
        jan1_at, as_of_at = [], []
        for i, (a, b) in enumerate(zip(params, b_params, strict=True)):
            if type(a) is date and a == a_jan1 and type(b) is date and b == b_jan1:
                jan1_at.append(i)
            elif type(a) is date and a == a_as_of and type(b) is date and b == b_as_of:
                as_of_at.append(i)
            elif a != b or type(a) is not type(b) or a in (a_jan1, a_as_of):
                return None  # a parameter made from a date, or a stand-in out of place
        if not as_of_at:
            return None
        query = qs.query
        names = (*query.extra_select, *query.values_select, *query.annotation_select)
        columns = [s[0] for s in compiler.select[: compiler.col_count]]
        if len(names) != len(columns):
            return None
        converters = compiler.get_converters(columns)
        kept.append(
            _Kept(
                db=qs.db,
                sql=sql,
                params=params,
                jan1_at=tuple(jan1_at),
                as_of_at=tuple(as_of_at),
                names=tuple(names),
                converters=tuple(
                    (pos, tuple(convs), expression)
                    for pos, (convs, expression) in converters.items()
                ),
            )
        )
    return tuple(kept)


_KEPT = _KeptForecast()


def _placement_costs(
    placements, *, year: int, as_of: date
) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """({case id: placements' cost so far}, {case id: still to pay to the year's end}) of
    placements active in the year up to `as_of`."""
    so_far_placed: dict[int, Decimal] = {}
    still_to_pay: dict[int, Decimal] = {}
    jan1, dec31 = date(year, 1, 1), date(year, 12, 31)
    for p in placements:
        last = min(dec31, p.end_on) if p.end_on else dec31
        start = max(p.start_on, jan1)
        so_far_placed[p.case_id] = so_far_placed.get(p.case_id, ZERO) + placement_cost(
            p.monthly_cost, start, min(as_of, last), year
        )
        still_to_pay[p.case_id] = still_to_pay.get(p.case_id, ZERO) + placement_cost(
            p.monthly_cost, as_of + timedelta(days=1), last, year
        )
    return so_far_placed, still_to_pay


def _forecast(
    c: dict,
    nights: dict[int, tuple[Decimal, Decimal]],
    others: dict[int, tuple[Decimal, Decimal]],
    so_far_placed: dict[int, Decimal],
    still_to_pay: dict[int, Decimal],
    *,
    year: int,
    as_of: date,
) -> Forecast:
    """One case's forecast from its sums: {case id: (total, inside the case's period)} of
    nights and other items, and its placements' costs."""
    shelter, shelter_in_period = nights.get(c["id"], (ZERO, ZERO))
    other, other_in_period = others.get(c["id"], (ZERO, ZERO))
    placed = so_far_placed.get(c["id"], ZERO)
    so_far = shelter + placed + other
    closed = c["closed_on"] is not None and c["closed_on"] <= as_of
    if closed:
        forecast = so_far
    else:
        at_rate = shelter_in_period + other_in_period
        projected = forecast_whole_year(
            so_far=at_rate, start=c["opened_on"], as_of=as_of, year=year, ended_on=None
        )
        forecast = so_far + (projected - at_rate) + still_to_pay.get(c["id"], ZERO)
    return Forecast(
        case_id=c["id"],
        number=c["number"],
        unit_id=c["responsible_unit_id"],
        shelter_cost=shelter,
        placement_cost=placed,
        other_cost=other,
        so_far=so_far,
        forecast=forecast,
        household_id=c["household_id"],
    )


def case_forecast(
    case: Case,
    *,
    year: int,
    as_of: date,
    nights: list[Any],
    cost_items: list[CostItem],
    placements: list[Placement],
) -> Forecast | None:
    """`forecasts_for_cases` for one case the page has read already, from its rows and
    no query: `nights`, the household's nights of the year up to `as_of` that the reader
    may see, with `own_nights`' `owner` and `placed`; `cost_items`,
    the case's items of the year; `placements`, all the case's placements. None when the
    case was not active in the year up to `as_of` (as `forecasts` leaves it out)."""
    as_of = min(as_of, date(year, 12, 31))
    jan1 = date(year, 1, 1)
    if case.opened_on > as_of or (case.closed_on is not None and case.closed_on < jan1):
        return None
    # `owner` and `placed`: `own_nights`'.
    own = [n for n in nights if getattr(n, "owner", None) == case.pk and jan1 <= n.night <= as_of]
    items = [i for i in cost_items if jan1 <= i.on <= as_of]
    nights_sum = {
        case.pk: (
            sum((n.cost for n in own), ZERO),
            sum(
                (
                    n.cost
                    for n in own
                    if _open_on(case, n.night) and not getattr(n, "placed", False)
                ),
                ZERO,
            ),
        )
    }
    others = {
        case.pk: (
            sum((i.amount for i in items), ZERO),
            sum((i.amount for i in items if i.on >= case.opened_on), ZERO),
        )
    }
    active = [
        p for p in placements if p.start_on <= as_of and (p.end_on is None or p.end_on >= jan1)
    ]
    so_far_placed, still_to_pay = _placement_costs(active, year=year, as_of=as_of)
    row = {
        "id": case.pk,
        "number": case.number,
        "responsible_unit_id": case.responsible_unit_id,
        "household_id": case.household_id,
        "opened_on": case.opened_on,
        "closed_on": case.closed_on,
    }
    return _forecast(row, nights_sum, others, so_far_placed, still_to_pay, year=year, as_of=as_of)


def _open_on(case: Case, night: date) -> bool:
    """Whether a night that belongs to `case` fell while it was open: the nights query's
    "a case was open that night" (`open_case` is not null, `forecasts_for_cases`) for its
    own nights. A night belongs to the case open that night where there is one, and only
    otherwise to a case opened later or closed before (`night_case_ids`): so of the
    case's own nights, those of an open case are those within its own dates."""
    return case.opened_on <= night and (case.closed_on is None or night <= case.closed_on)


def case_nights(user: User, household_id, *, year: int, as_of: date):
    """The household's (`household_id`: its id or a reference to it) shelter nights of the
    year up to `as_of` that `user` may see (a protected person's only to those granted
    them), newest first: what `case_forecast` and the case's list of nights need, once
    `own_nights` has told each one's case and whether the household was placed then.

    Those two were correlated subqueries of this statement (`night_case_ids`, `_placed`),
    run for every night: the bench case's 36 nights at national scale read 441 of the
    case page's 640 buffers, the first subquery twice. From the household's cases and
    placements, which the page reads anyway, Python answers both for a few dozen nights
    (issue 22, the twenty-second round)."""
    return (
        ShelterNight.objects.filter(
            person__household_id=household_id,
            night__gte=date(year, 1, 1),
            night__lte=as_of,
        )
        .filter(people_selectors.persons_visible_q(user, prefix="person__"))
        .select_related("shelter")
        .order_by("-night", "-id")
    )


# What the case page reads of each of the household's nights (`CaseRows.values`): all
# that `own_nights`, `case_forecast` and the list of nights (`presenters.night_rows`)
# read of one. An instance of each night and of its shelter was most of making the case
# page's lists (the bench's 36 nights at national scale, issue 22, the twenty-fourth
# round).
NIGHT = ("id", "night", "cost", "shelter__name")


@dataclass(slots=True)
class Night:
    """A night as the case page reads it (`NIGHT`), given its case (`owner`) and whether
    the household was placed that night (`placed`) by `own_nights`."""

    pk: int
    night: date
    cost: Decimal
    shelter_name: str
    owner: int | None = None
    placed: bool = False


# What `own_nights` reads of a household's cases and placements (`CaseRows.values`).
HOUSEHOLD_CASE = ("id", "opened_on", "closed_on")
HOUSEHOLD_PLACEMENT = ("start_on", "end_on")


def night_owner(
    cases: Iterable[tuple[int, date, date | None]], night: date, *, as_of: date
) -> int | None:
    """`night_case_ids(as_of)`'s owner of a night, from its household's cases (`HOUSEHOLD_
    CASE` values): the case open that night (the last opened), failing that the next one
    opened, or the one closed last; only cases opened by `as_of` count."""
    known = [case for case in cases if case[1] <= as_of]
    open_then = [c for c in known if c[1] <= night and (c[2] is None or c[2] >= night)]
    if open_then:
        return max(open_then, key=lambda c: (c[1], c[0]))[0]
    later = [c for c in known if c[1] > night]
    if later:
        return min(later, key=lambda c: (c[1], c[0]))[0]
    # Every known case closed before the night here: none has an empty closing date
    # (where PostgreSQL's descending order would put it first).
    closed = [c for c in known if c[2] is not None]
    return max(closed, key=lambda c: (c[2], c[0]))[0] if closed else None


def own_nights(
    nights: Iterable[Any],
    *,
    cases: list[tuple[int, date, date | None]],
    placements: list[tuple[date, date | None]],
    as_of: date,
) -> list[Any]:
    """`nights` (`case_nights`' rows, as `Night`s or instances), each given `owner`
    (`night_owner`) and `placed` (the household placed in an apartment that night,
    `_placed`): the annotations of `forecasts_for_cases`' nights that `case_forecast`
    reads."""
    rows = list(nights)  # read once, whatever `nights` is
    for night in rows:
        night.owner = night_owner(cases, night.night, as_of=as_of)  # type: ignore[attr-defined]
        night.placed = any(  # type: ignore[attr-defined]
            start <= night.night and (end is None or end >= night.night)
            for start, end in placements
        )
    return rows


def totals_per_unit(rows: list[Forecast]) -> dict[int, tuple[Decimal, Decimal]]:
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for row in rows:
        so_far, forecast = totals.get(row.unit_id, (ZERO, ZERO))
        totals[row.unit_id] = (so_far + row.so_far, forecast + row.forecast)
    return totals
