"""A longer period's medians from its months (issue 22, point 4): every published month
keeps the distribution of the values behind its medians (`MonthlyReport.distributions`,
counts per value and unit, never shown), so a first request for a quarter, a year or a
year to date makes its medians from its months instead of reading every signal of the
period again. The tables must be exactly those made from the records; a month published
before distributions were kept makes the period count from the records as before."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bokvar.models import District, Unit
from cases.models import Landlord, LandlordSignal
from steering import stats
from steering.models import MonthlyReport, StatisticsSnapshot
from steering.periods import parse_period, ytd

# The counters' fixtures: signals with first contacts in March 2026 among every kind of
# record a longer period counts on its own.
from tests.steering.test_counters import handovers, several  # noqa: F401
from tests.steering.test_figures_domains import housing_placements, workflow  # noqa: F401
from tests.steering.test_partner_figures import places, referred  # noqa: F401

pytestmark = pytest.mark.django_db

PERIOD = ytd(2026, 3)
# The signals' query of the counter the months' distributions make unnecessary.
READS_FIRST_CONTACTS = '"cases_landlordsignal"."first_contact_days" IS NOT NULL'


@pytest.fixture
def january(org, make_case, several):  # noqa: F811
    """Five more signals with a first contact, in January 2026 (another month of the
    period), on a case of another unit: the period's values span two months and units
    (five, so that January's count is published and the period's median with it)."""
    landlord = Landlord.objects.create(
        kind="housing_company", organisation_name="Egen", name_bidx="y"
    )
    case = make_case(unit_kind=Unit.Kind.INCOME_SUPPORT, opened_on=date(2026, 1, 2))
    for day, days in ((3, 10), (4, 10), (20, 12), (21, 12), (22, 14)):
        LandlordSignal.objects.create(
            landlord=landlord,
            kind="rent_arrears",
            channel="email",
            received_on=date(2026, 1, day),
            status="linked",
            case=case,
            first_contact_days=days,
        )
    return several


def _figure(tables: dict, key: str) -> dict:
    return next(f for f in tables["figures"] if f["key"] == key)


def _cold(client, url):
    keys = [PERIOD.key, PERIOD.year_earlier().key]
    StatisticsSnapshot.objects.filter(period__in=keys).delete()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"period": PERIOD.key}).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _fresh(district: District, period) -> dict:
    """The period's tables made from the records now (every month counted afresh)."""
    return stats.period_tables(
        district=district, period=period, tables=stats.fresh_tables(district)
    )


def test_a_published_month_keeps_the_values_behind_its_medians(org, january):
    from steering.snapshots import published_tables

    district = District.objects.get(pk=org.district.pk)
    published_tables(district)(parse_period("2026-03"))
    report = MonthlyReport.objects.get(district=district, period="2026-03")
    adult = org.units[Unit.Kind.ADULT].pk
    # Six rent-arrears signals in March with a first contact after 1..6 days (the two
    # disturbance signals have none): counts per value, no record.
    assert report.distributions == {
        "days_to_first_contact": {str(adult): [[1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1]]}
    }
    assert "distributions" not in report.data  # never in what is published


def test_a_longer_periods_medians_come_from_its_months_not_the_signals(
    client, org, steering, january
):
    client.force_login(steering, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("steering:dashboard")
    assert client.get(url, {"period": PERIOD.key}).status_code == 200  # months published
    queries = _cold(client, url)
    assert not any(READS_FIRST_CONTACTS in sql for sql in queries), "signals read again"
    district = District.objects.get(pk=org.district.pk)
    stored = StatisticsSnapshot.objects.get(district=district, period=PERIOD.key).data
    fresh = _fresh(district, PERIOD)
    assert stored["figures"] == fresh["figures"]
    # Eleven values over January and March, two units: the district's median is the
    # sixth (1 2 3 4 5 6 10 10 12 12 14), shown.
    total = _figure(stored, "days_to_first_contact")["total"]["cells"]
    assert [total[0]["value"], total[1]["value"]] == [6.0, 11]


def test_months_published_before_distributions_were_kept_count_the_signals(
    client, org, steering, january
):
    client.force_login(steering, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("steering:dashboard")
    assert client.get(url, {"period": PERIOD.key}).status_code == 200  # months published
    kept = _cold(client, url)
    MonthlyReport.objects.filter(period="2026-01").update(distributions={})
    counted = _cold(client, url)
    assert any(READS_FIRST_CONTACTS in sql for sql in counted)
    # The months' distributions save exactly the signals' query, nothing else changes.
    assert len(kept) == len(counted) - 1
    district = District.objects.get(pk=org.district.pk)
    stored = StatisticsSnapshot.objects.get(district=district, period=PERIOD.key).data
    assert stored["figures"] == _fresh(district, PERIOD)["figures"]
    total = _figure(stored, "days_to_first_contact")["total"]["cells"]
    assert [total[0]["value"], total[1]["value"]] == [6.0, 11]
