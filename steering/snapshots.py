"""Pre-computed statistics: the dashboard, its exports and the API read the latest
snapshot of a district's report for a period, at most `STATS_MAX_AGE_MINUTES` old.

A year of a large district takes over a second to aggregate (see
docs/performance.md), so aggregation happens in the background task
`steering.refresh_statistics`, which keeps the periods the steering group opens
most (the quick periods) fresh for every district. Any other period is computed
on first request and then served from its snapshot until it ages out.

Monthly reports do not use snapshots: a freeze always aggregates afresh.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from bokvar.models import District

from . import periods, stats
from .models import StatisticsSnapshot


def max_age() -> timedelta:
    return timedelta(minutes=settings.BOKVAR["STATS_MAX_AGE_MINUTES"])


def report_for(*, district: District, period: periods.Period) -> dict:
    """The report for `period`, from a snapshot younger than `max_age()` or made now."""
    snapshot = (
        StatisticsSnapshot.objects.filter(district=district, period=period.key)
        .only("computed_at", "data")
        .first()
    )
    if snapshot is not None and snapshot.computed_at >= timezone.now() - max_age():
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


def refresh_all(today: date | None = None) -> int:
    """Refresh the quick periods of every district, and drop snapshots nobody can
    be served any more (older than a day: a request would recompute them anyway)."""
    today = today or timezone.localdate()
    made = 0
    for district in District.objects.order_by("pk"):
        for period in quick_periods(today):
            refresh(district=district, period=period)
            made += 1
    StatisticsSnapshot.objects.filter(
        computed_at__lt=timezone.now() - max(max_age(), timedelta(days=1))
    ).delete()
    return made
