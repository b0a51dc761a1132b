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
