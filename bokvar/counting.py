"""Several counts in one query (issue 22, point 2: every page at most 20 queries).

The base layout shows a badge per navigation entry (signals waiting, handovers,
deadlines, unread notifications); counted one by one they are a query each on every
page. `count_together` counts them all in one statement, each as a scalar subquery:
the same querysets, the same permission filters, one round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from .prepared import generic_plan, texts_written


def count_together(querysets: Sequence[QuerySet[Any]]) -> list[int]:
    """The number of rows of each queryset, in order; one query for all of them (none
    when every queryset is empty by construction, e.g. `pk__in=[]`)."""
    return counter(querysets)()


def counter(
    querysets: Sequence[QuerySet[Any]], *, most: int | None = None
) -> Callable[[], list[int]]:
    """`count_together` compiled once: each call of the function returned runs the same
    statement again and counts the rows as they are then. Compiling the querysets is
    the Python half of the cost (issue 22: the navigation's badges on every page); a
    caller may keep the function as long as what the querysets were built from holds
    (home.navigation keys it by the reader, their roles and the day).

    `most`: count each up to that many rows and no further, so the count costs the same
    however many rows there are (a badge shows "99+" past 99: counting a coordinator's
    739 unread notifications on every page read 368 index and heap pages, most of the
    badges' statement at national scale)."""
    if len({qs.db for qs in querysets}) > 1:
        # Routed to different databases (bokvar.db_router): one count each.
        return lambda: [_bounded(qs, most).count() for qs in querysets]
    parts: list[str] = []
    params: list[Any] = []
    positions: list[int | None] = []
    for qs in querysets:
        try:
            sql, qs_params = _bounded(qs.order_by().values("pk"), most).query.sql_with_params()
        except EmptyResultSet:
            positions.append(None)
            continue
        positions.append(len(parts))
        # The SQL is Django's own compilation of the queryset, its values bound as params.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{len(parts)})")  # noqa: S608
        params.extend(qs_params)
    if not parts:
        return lambda: [0] * len(querysets)
    alias = querysets[0].db
    # The statuses and roles counted by written into the text (`texts_written`).
    statement, bound, _positions = texts_written(alias, "SELECT " + ", ".join(parts), params)

    def count() -> list[int]:
        # Kept and run on every page: planned once, not on each run (generic_plan).
        with connections[alias].cursor() as cursor:
            with generic_plan(cursor, alias):
                cursor.execute(statement, bound)
            row = cursor.fetchone()  # after the block: one round trip (generic_plan)
        return [0 if position is None else int(row[position]) for position in positions]

    return count


def _bounded(qs: QuerySet[Any], most: int | None) -> QuerySet[Any]:
    return qs.all() if most is None else qs[:most]


def known_badge(request: Any, key: str, number: int) -> None:
    """A page that has just read exactly the rows a navigation badge counts gives the
    navigation their number (`home.navigation.items_for`), which then counts the other
    badges without it. My deadlines lists the deadlines its badge counts: counting them
    again was the most of the badges' statement for a caseworker with hundreds of cases
    (1.5 ms at national scale, issue 22). The page's rows and the number are of the
    same moment."""
    known: dict[str, int] = request.__dict__.setdefault("known_badges", {})
    known[key] = number


def known_badges(request: Any) -> dict[str, int]:
    """The badges a page has counted itself (`known_badge`)."""
    known: dict[str, int] = request.__dict__.get("known_badges", {})
    return known
