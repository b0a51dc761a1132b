"""Frozen monthly reports: stored once a month, shown exactly as stored, regenerated as
a new version by a coordinator only."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bokvar.history import SYSTEM_USERNAME
from bokvar.models import Unit
from cases.core.services.cases import close_case
from steering import tasks
from steering.models import MonthlyReport
from steering.periods import last_full_month, parse_period
from steering.services import freeze_month

pytestmark = pytest.mark.django_db


def _as(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _without_tokens(response) -> str:
    # The CSRF token is masked anew on every page; everything else must be identical.
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _new_total(report: MonthlyReport) -> list[str]:
    fig = next(f for f in report.data["figures"] if f["key"] == "new_cases")
    return [c["display"] for c in fig["total"]["cells"]]


def test_beat_runs_the_freeze_on_the_first_of_the_month():
    entry = settings.CELERY_BEAT_SCHEDULE["freeze-monthly-reports"]
    assert entry["task"] == "steering.freeze_monthly_reports"
    assert entry["schedule"].day_of_month == {1}


def test_task_freezes_last_month_once(org, make_case):
    period = last_full_month(timezone.localdate())
    assert tasks.freeze_monthly_reports() == 1
    assert tasks.freeze_monthly_reports() == 0
    report = MonthlyReport.objects.get()
    assert (report.period, report.version, report.reason) == (period.key, 1, "scheduled")
    assert report.generated_by.username == SYSTEM_USERNAME
    assert report.data["period"]["key"] == period.key
    assert report.history.count() == 1


def test_frozen_report_does_not_change_when_cases_change(
    client, org, steering, stats_cases, make_case
):
    report = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    stored = report.data
    before = _as(client, steering).get(reverse("steering:report", args=[report.pk]))
    before_csv = client.get(reverse("steering:report_csv", args=[report.pk])).content
    # A later correction: another March case closed, as evicted.
    coordinator = org.users["coordinator"]
    case = stats_cases[4]
    close_case(
        actor=coordinator,
        case_id=case.pk,
        expected_version=case.version,
        outcome="evicted",
        closed_on=date(2026, 3, 30),
    )
    for n in range(5):  # and five March cases registered late
        make_case(unit_kind=Unit.Kind.ADULT, kind="homelessness", opened_on=date(2026, 3, 20 + n))
    report.refresh_from_db()
    assert report.data == stored
    after = client.get(reverse("steering:report", args=[report.pk]))
    assert _without_tokens(after) == _without_tokens(before)
    assert client.get(reverse("steering:report_csv", args=[report.pk])).content == before_csv
    # ... and so do the figures the API publishes for March: a published month changes
    # only through a new version (docs/statistics.md, rule 3).
    live = client.get("/api/v1/stats/", {"period": "2026-03"}).json()
    new_live = next(f for f in live["figures"] if f["key"] == "new_cases")
    assert new_live["total"]["cells"][1]["display"] == "<5"
    assert _new_total(report)[1] == "<5"


def test_coordinator_regenerates_keeping_the_earlier_version(client, org, stats_cases, make_case):
    first = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    for n in range(5):
        make_case(unit_kind=Unit.Kind.ADULT, kind="homelessness", opened_on=date(2026, 3, 20 + n))
    _as(client, org.users["coordinator"])
    response = client.post(reverse("steering:regenerate", args=[first.pk]))
    second = MonthlyReport.objects.get(version=2)
    assert response.status_code == 302 and response["Location"] == reverse(
        "steering:report", args=[second.pk]
    )
    assert (second.period, second.reason) == ("2026-03", "regenerated on request")
    assert (first.data["version"], second.data["version"]) == (1, 2)
    first.refresh_from_db()
    assert _new_total(first) != _new_total(second)
    assert _new_total(second)[1] == "7"
    page = client.get(reverse("steering:report", args=[first.pk])).content.decode()
    assert reverse("steering:report", args=[second.pk]) in page  # versions listed
    listing = client.get(reverse("steering:reports")).content.decode()
    assert listing.count(">2026-03</a>") == 2


@pytest.mark.parametrize("role", ["steering", "guide", "caseworker", "auditor", "admin"])
def test_only_coordinators_regenerate(client, org, role):
    report = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    response = _as(client, org.users[role]).post(reverse("steering:regenerate", args=[report.pk]))
    assert response.status_code == 403
    assert MonthlyReport.objects.count() == 1


def test_regenerate_wrong_method_and_unknown_report(client, org, coordinator):
    report = freeze_month(district=org.district, period=parse_period("2026-03"), actor=coordinator)
    _as(client, coordinator)
    assert client.get(reverse("steering:regenerate", args=[report.pk])).status_code == 405
    assert client.post(reverse("steering:regenerate", args=[report.pk + 99])).status_code == 404


def test_steering_sees_list_detail_and_exports_but_no_regenerate_button(client, org, steering):
    report = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    _as(client, steering)
    assert "2026-03" in client.get(reverse("steering:reports")).content.decode()
    page = client.get(reverse("steering:report", args=[report.pk]))
    assert page.status_code == 200
    assert reverse("steering:regenerate", args=[report.pk]) not in page.content.decode()
    assert client.get(reverse("steering:report_xlsx", args=[report.pk])).status_code == 200
    assert client.get(reverse("steering:report", args=[report.pk + 99])).status_code == 404


def test_frozen_reports_survive_a_retention_run(client, org, steering, stats_cases):
    """Retention (gallring) culls the people and their cases five years on; the stored
    monthly report holds no person, so it stays, exactly as stored, and is still shown."""
    from datetime import timedelta

    from audit import retention
    from audit.registry import registry
    from cases.models import Case

    report = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    stored = report.data
    _as(client, steering)
    before_csv = client.get(reverse("steering:report_csv", args=[report.pk])).content
    cases_before = Case.objects.count()

    # Everything registered for retention happened more than five years ago.
    old = timezone.now() - timedelta(days=365 * 6 + 10)
    for reg in registry.models.values():
        if reg.date_field:
            reg.model.objects.update(**{reg.date_field: old})
        reg.model.history.update(history_date=old)
    result = retention.apply(dry_run=False)
    assert result.cull  # the run did cull people ...
    assert Case.objects.count() < cases_before  # ... and cases with them

    report = MonthlyReport.objects.get(pk=report.pk)
    assert report.data == stored
    assert report.version == 1
    page = client.get(reverse("steering:report", args=[report.pk]))
    assert page.status_code == 200 and "2026-03" in page.content.decode()
    assert client.get(reverse("steering:report_csv", args=[report.pk])).content == before_csv


def _writes(queries) -> list[str]:
    """The statements through Django's cursor that wrote reports or their history rows
    (a COPY, `bokvar.bulk`, goes past it: a constant number either way)."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "COPY")) and "steering_monthlyreport" in q["sql"]
    ]


def test_months_published_together_are_stored_with_their_history_in_a_fixed_number_of_writes(
    org, stats_cases, coordinator
):
    # The same writes for 3 months as for 12 (`bokvar.bulk.insert`: the ids, a COPY of
    # the reports and one of their history rows), not two INSERTs per month.
    from steering import services

    writes = []
    for first, count in (("2025-01", 3), ("2025-04", 12)):
        months = [parse_period(first).shifted(n) for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            made = services.publish_months(
                district=org.district, periods=months, actor=coordinator, reason="test"
            )
        writes.append(len(_writes(queries)))
        assert [r.version for r in made.values()] == [1] * count
        for report in made.values():
            assert report.pk is not None and not report._state.adding
            # One history row each, as a save() with `attribute` wrote it.
            (row,) = report.history.all()
            assert (row.history_type, row.history_user, row.history_change_reason) == (
                "+",
                coordinator,
                "test",
            )
            assert (row.data, row.distributions, row.version) == (
                report.data,
                report.distributions,
                1,
            )
        stored = MonthlyReport.objects.filter(period__in=[m.key for m in months])
        assert {r.pk: r.data for r in stored} == {r.pk: r.data for r in made.values()}
    assert writes[0] == writes[1]


def test_months_published_together_are_validated_as_full_clean_validates_them(
    org, stats_cases, coordinator
):
    # What full_clean refused one by one is refused for the batch, and nothing is stored.
    from steering import services

    months = [parse_period("2025-01"), parse_period("2025-02")]
    with pytest.raises(ValidationError) as error:
        services.publish_months(
            district=org.district, periods=months, actor=coordinator, reason="x" * 41
        )
    assert "reason" in error.value.message_dict
    assert not MonthlyReport.objects.exists()
    # A version another writer stored meanwhile: the unique constraint's error, as
    # full_clean gives it, before anything is written.
    services.publish_months(
        district=org.district, periods=months[:1], actor=coordinator, reason="t"
    )
    taken = MonthlyReport.objects.get()
    clash = MonthlyReport(
        district=org.district,
        period=taken.period,
        version=1,
        generated_at=timezone.now(),
        generated_by=coordinator,
        reason="t",
        data={"schema": 0},
    )
    fresh = MonthlyReport(
        **{f.attname: getattr(clash, f.attname) for f in clash._meta.concrete_fields}
    )
    fresh.period, fresh.pk = months[1].key, None
    with pytest.raises(ValidationError) as error:
        services._save_many([fresh, clash], actor=coordinator, reason="t")
    with pytest.raises(ValidationError) as alone:
        clash.full_clean()
    assert error.value.messages == alone.value.messages
    # And a version below 1 is refused by the model's check constraint's own message.
    fresh.version = 0
    with pytest.raises(ValidationError) as error:
        services._save_many([fresh], actor=coordinator, reason="t")
    with pytest.raises(ValidationError) as alone:
        fresh.full_clean()
    assert error.value.messages == alone.value.messages
    assert list(MonthlyReport.objects.all()) == [taken]
