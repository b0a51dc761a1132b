"""A report made from published tables is kept in the process by exactly what it was made
from (`snapshots.report_for`, issue 22): the months' versions, the snapshots' moments,
the district's name, the threshold. Given again, it is the report made afresh; a new
version, a renamed district or another district is another report at once; a making
that published anything is not kept."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bokvar.models import District
from steering import snapshots
from steering.models import MonthlyReport
from steering.periods import parse_period
from steering.services import regenerate_report

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="kept on PostgreSQL only"),
]

MARCH = parse_period("2026-03")


@pytest.fixture(autouse=True)
def _nothing_kept():
    snapshots.forget_reports()
    yield
    snapshots.forget_reports()


def _fresh(district, period):
    snapshots.forget_reports()
    return snapshots.report_for(district=district, period=period)


def test_a_kept_report_is_the_one_made_afresh_and_costs_one_read(org, stats_cases):
    for period in (MARCH, parse_period("2026-Q1"), parse_period("2025")):
        first = snapshots.report_for(district=org.district, period=period)  # publishes
        assert not snapshots._REPORTS, "a making that published is not kept"
        made = snapshots.report_for(district=org.district, period=period)
        assert len(snapshots._REPORTS) == 1
        with CaptureQueriesContext(connection) as queries:
            kept = snapshots.report_for(district=org.district, period=period)
        assert kept is made and kept == made == first
        # One read of which versions and snapshots there are, no table read or decoded.
        assert len(queries) == 1 and "generated_at" in queries[0]["sql"]
        assert kept == _fresh(org.district, period)
        snapshots.forget_reports()


def test_a_new_version_a_renamed_district_and_another_district_are_other_reports(org, stats_cases):
    snapshots.report_for(district=org.district, period=MARCH)
    before = snapshots.report_for(district=org.district, period=MARCH)
    report = MonthlyReport.objects.get(district=org.district, period=MARCH.key)
    regenerate_report(actor=org.users["coordinator"], report_id=report.pk)
    after = snapshots.report_for(district=org.district, period=MARCH)
    assert after.get("version") == 2 and before.get("version") != 2
    assert after == _fresh(org.district, MARCH)
    District.objects.filter(pk=org.district.pk).update(name="Omdöpt stadsdel")
    renamed = District.objects.get(pk=org.district.pk)
    assert snapshots.report_for(district=renamed, period=MARCH)["district"] == "Omdöpt stadsdel"
    other = District.objects.create(name="Södermalm")
    snapshots.report_for(district=other, period=MARCH)
    theirs = snapshots.report_for(district=other, period=MARCH)
    assert theirs["district"] == "Södermalm" and theirs != after
    assert snapshots.report_for(district=renamed, period=MARCH)["district"] == "Omdöpt stadsdel"
