"""Demo monthly reports: the last three months frozen, as the scheduled task would have."""

from __future__ import annotations

from django.utils import timezone

from bokvar.demo import DemoContext
from bokvar.history import system_user

from .models import MonthlyReport
from .periods import last_full_month
from .services import freeze_month


def seed(ctx: DemoContext) -> None:
    if ctx.district is None or MonthlyReport.objects.filter(district=ctx.district).exists():
        ctx.log("Monthly reports: already present, left as they are.")
        return
    latest = last_full_month(timezone.localdate())
    actor = system_user()
    for back in (2, 1, 0):
        freeze_month(district=ctx.district, period=latest.shifted(-back), actor=actor)
    ctx.log("Monthly reports: the last three months frozen.")
