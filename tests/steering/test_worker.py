"""The scheduled freeze through the real broker and a real worker process."""

import pytest
from django.utils import timezone

from steering.models import MonthlyReport
from steering.periods import last_full_month
from steering.tasks import freeze_monthly_reports

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_worker_freezes_last_month_once(celery_worker, org):
    assert freeze_monthly_reports.delay().get(timeout=60) == 1
    assert freeze_monthly_reports.delay().get(timeout=60) == 0
    report = MonthlyReport.objects.get()
    assert report.period == last_full_month(timezone.localdate()).key
    assert report.version == 1


def test_worker_refreshes_the_quick_periods(celery_worker, org):
    from steering.models import StatisticsSnapshot
    from steering.tasks import refresh_statistics

    assert refresh_statistics.delay().get(timeout=120) == 4
    # The quarter and the years are kept as snapshots; the months as monthly reports.
    assert StatisticsSnapshot.objects.filter(district=org.district).count() >= 2
    assert MonthlyReport.objects.filter(district=org.district).count() >= 12
