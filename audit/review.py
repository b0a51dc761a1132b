"""The auditor's review of the access log: filters and the flags that ask a second look."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AccessLogEntry
from .registry import case_ids_of_person, granted_pairs

FLAG_LABELS = {
    "outside_unit": _("Outside own unit without grant"),
    "protected": _("Protected identity"),
    "many": _("Unusually many reads that day"),
}


@dataclass(frozen=True)
class LogFilters:
    start: date | None = None
    end: date | None = None
    unit_id: int | None = None
    how: str = ""
    user_id: int | None = None
    person_id: int | None = None
    case_id: int | None = None
    flagged: bool = False


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def entries(filters: LogFilters) -> QuerySet[AccessLogEntry]:
    qs = AccessLogEntry.objects.select_related("user")
    if filters.start:
        qs = qs.filter(at__gte=_day_start(filters.start))
    if filters.end:
        qs = qs.filter(at__lt=_day_start(filters.end) + timezone.timedelta(days=1))
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    if filters.how:
        qs = qs.filter(how=filters.how)
    if filters.user_id:
        qs = qs.filter(user_id=filters.user_id)
    if filters.person_id:
        cases = case_ids_of_person(filters.person_id)
        qs = qs.filter(Q(person_id=filters.person_id) | Q(case_id__in=cases))
    if filters.case_id:
        qs = qs.filter(case_id=filters.case_id)
    if filters.flagged:
        qs = qs.filter(Q(protected=True) | Q(outside_unit=True))
    return qs.order_by("-seq")


@dataclass(frozen=True)
class ReviewRow:
    entry: AccessLogEntry
    flags: tuple[str, ...]

    @property
    def flag_labels(self) -> list[str]:
        return [str(FLAG_LABELS[f]) for f in self.flags]


def flag(page: list[AccessLogEntry]) -> list[ReviewRow]:
    """Flags for one page of entries: a constant number of queries whatever its size."""
    outside = {(e.user_id, e.case_id) for e in page if e.outside_unit and e.case_id}
    granted = granted_pairs(outside)
    busy: set[tuple[int, date]] = set()
    if page:
        users = {e.user_id for e in page}
        days = {timezone.localdate(e.at) for e in page}
        counts = (
            AccessLogEntry.objects.filter(
                user_id__in=users,
                at__gte=_day_start(min(days)),
                at__lt=_day_start(max(days)) + timezone.timedelta(days=1),
            )
            .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
            .values("user_id", "day")
            .annotate(n=Count("id"))
        )
        threshold = settings.AUDIT_DAILY_READ_THRESHOLD
        busy = {(c["user_id"], c["day"]) for c in counts if c["n"] > threshold}
    rows = []
    for e in page:
        flags = []
        if e.outside_unit and (e.user_id, e.case_id) not in granted:
            flags.append("outside_unit")
        if e.protected:
            flags.append("protected")
        if (e.user_id, timezone.localdate(e.at)) in busy:
            flags.append("many")
        rows.append(ReviewRow(entry=e, flags=tuple(flags)))
    return rows
