"""Writes: freezing a month's figures as a stored report."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from bokvar.history import attribute
from bokvar.models import District, User

from . import selectors, stats
from .models import MonthlyReport
from .periods import MONTH, Period

SCHEDULED = "scheduled"
ON_REQUEST = "regenerated on request"


def _store(*, district: District, period: Period, actor: User, reason: str) -> MonthlyReport:
    # Lock the district row so two regenerations cannot draw the same version number.
    District.objects.select_for_update().get(pk=district.pk)
    last = MonthlyReport.objects.filter(district=district, period=period.key).aggregate(
        v=Max("version")
    )["v"]
    version = (last or 0) + 1
    data = stats.build_report(district=district, period=period)
    # The stored JSON names its own version, so an exported copy says which one it is.
    data["version"] = version
    report = MonthlyReport(
        district=district,
        period=period.key,
        version=version,
        generated_at=timezone.now(),
        generated_by=actor,
        reason=reason,
        data=data,
    )
    report.full_clean()
    attribute(report, user=actor, reason=reason).save()
    return report


@transaction.atomic
def freeze_month(*, district: District, period: Period, actor: User) -> MonthlyReport | None:
    """The scheduled freeze: once per district and month; later runs change nothing."""
    if period.kind != MONTH:
        raise ValueError("Only a month is frozen as a monthly report.")
    if MonthlyReport.objects.filter(district=district, period=period.key).exists():
        return None
    return _store(district=district, period=period, actor=actor, reason=SCHEDULED)


@transaction.atomic
def regenerate_report(*, actor: User, report_id: int) -> MonthlyReport:
    """A coordinator's new version of a stored month; the earlier versions stay."""
    report = selectors.get_report_for_user(actor, report_id)
    if not selectors.may_regenerate(actor, report.district):
        raise PermissionDenied
    year, month_ = (int(x) for x in report.period.split("-"))
    return _store(
        district=report.district,
        period=Period(MONTH, year, month_, 1),
        actor=actor,
        reason=ON_REQUEST,
    )
