"""Pre-computed statistics: the dashboard, its exports and the API read the latest
snapshot of a district's report for a period, at most `STATS_MAX_AGE_MINUTES` old.

A year of a large district takes over a second to aggregate (see
docs/performance.md), so aggregation happens in the background task
`steering.refresh_statistics`, which keeps the periods the steering group opens
most (the quick periods) fresh for every district, and once a day the whole
years before last year (up to `STATS_PAST_YEARS` back, from the district's first
case): those change only through late corrections, so their snapshots are served
for a day and a bit. Any other period (a range of months, an old month or quarter)
is computed on first request and then served from its snapshot until it ages out.

Monthly reports do not use snapshots: a freeze always aggregates afresh.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone

from bokvar.conf import setting
from bokvar.models import District
from cases.models import Case

from . import periods, stats
from .models import StatisticsSnapshot

# A past year's snapshot is remade daily; it is served a little longer than a day so
# that a refresh running late never leaves the steering group waiting.
PAST_YEAR_MAX_AGE = timedelta(hours=26)
PAST_YEAR_REFRESH_AGE = timedelta(hours=23)


def max_age(period: periods.Period | None = None, *, today: date | None = None) -> timedelta:
    """How old a served snapshot of `period` may be."""
    if period is not None and is_past_year(period, today or timezone.localdate()):
        return PAST_YEAR_MAX_AGE
    return timedelta(minutes=setting("STATS_MAX_AGE_MINUTES"))


def is_past_year(period: periods.Period, today: date) -> bool:
    """A whole year before last year: pre-computed daily (see `past_years`)."""
    return period.kind == periods.YEAR and period.start_year < today.year - 1


def report_for(*, district: District, period: periods.Period) -> dict:
    """The report for `period`, from a snapshot younger than `max_age(period)` or made now."""
    snapshot = (
        StatisticsSnapshot.objects.filter(district=district, period=period.key)
        .only("computed_at", "data")
        .first()
    )
    if snapshot is not None and snapshot.computed_at >= timezone.now() - max_age(period):
        return snapshot.data
    return refresh(district=district, period=period)


def refresh(*, district: District, period: periods.Period) -> dict:
    """Aggregate `period` afresh and store it as the district's snapshot."""
    data = stats.build_report(district=district, period=period)
    values = {"computed_at": timezone.now(), "data": data}
    try:
        with transaction.atomic():
            StatisticsSnapshot.objects.update_or_create(
                district=district, period=period.key, defaults=values
            )
    except IntegrityError:
        # Two requests made the same new snapshot at once; the other one's insert won.
        StatisticsSnapshot.objects.filter(district=district, period=period.key).update(**values)
    return data


def quick_periods(today: date) -> list[periods.Period]:
    """The periods the dashboard offers as one-click choices (see views._quick_periods)."""
    month = periods.last_full_month(today)
    quarter_index = (today.month - 1) // 3
    year, q = (today.year, quarter_index) if quarter_index else (today.year - 1, 4)
    return [
        month,
        periods.parse_period(f"{year}-Q{q}"),
        periods.parse_period(str(today.year)),
        periods.parse_period(str(today.year - 1)),
    ]


def past_years(district_first_year: int | None, today: date) -> list[periods.Period]:
    """The whole years before last year, newest first, at most `STATS_PAST_YEARS` of
    them and none before the district's first case."""
    if district_first_year is None:
        return []
    oldest = max(district_first_year, today.year - 1 - setting("STATS_PAST_YEARS"))
    return [periods.parse_period(str(y)) for y in range(today.year - 2, oldest - 1, -1)]


def refresh_all(today: date | None = None) -> int:
    """Refresh the quick periods of every district and, when their snapshot is older
    than `PAST_YEAR_REFRESH_AGE`, the past years; then drop snapshots nobody can be
    served any more (older than a day: a request would recompute them anyway)."""
    today = today or timezone.localdate()
    now = timezone.now()
    first_years = {
        row["responsible_unit__district_id"]: row["first"].year
        for row in Case.objects.order_by()
        .values("responsible_unit__district_id")
        .annotate(first=Min("opened_on"))
    }
    fresh = set(
        StatisticsSnapshot.objects.filter(computed_at__gte=now - PAST_YEAR_REFRESH_AGE).values_list(
            "district_id", "period"
        )
    )
    made = 0
    for district in District.objects.order_by("pk"):
        wanted = quick_periods(today) + [
            year
            for year in past_years(first_years.get(district.pk), today)
            if (district.pk, year.key) not in fresh
        ]
        for period in wanted:
            refresh(district=district, period=period)
            made += 1
    stale = now - max(max_age(), timedelta(days=1))
    past_keys = [p.key for p in past_years(today.year - 100, today)]
    StatisticsSnapshot.objects.filter(computed_at__lt=stale).exclude(period__in=past_keys).delete()
    StatisticsSnapshot.objects.filter(
        computed_at__lt=now - PAST_YEAR_MAX_AGE, period__in=past_keys
    ).delete()
    return made
