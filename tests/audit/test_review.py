from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from audit.models import AccessLogEntry
from audit.review import LogFilters, entries, flag
from cases import services as case_services

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _read(client, user, case):
    _login(client, user).get(reverse("cases:detail", args=[case.pk]))


def test_who_looked_at_this_person_and_what_a_user_looked_at(
    client, cases, caseworker, coordinator, auditor
):
    _read(client, caseworker, cases.a)
    _read(client, coordinator, cases.b)
    head = cases.a.household.head_id
    response = _login(client, auditor).get(reverse("audit:log"), {"person": head})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.entry.user_id, r.entry.case_id) for r in rows] == [(caseworker.pk, cases.a.pk)]
    response = client.get(reverse("audit:log"), {"user": coordinator.pk})
    assert [r.entry.case_id for r in response.context["rows"]] == [cases.b.pk]
    response = client.get(
        reverse("audit:log"), {"unit": cases.b.responsible_unit_id, "how": "page"}
    )
    assert [r.entry.case_id for r in response.context["rows"]] == [cases.b.pk]
    response = client.get(reverse("audit:log"), {"start": "2000-01-01", "end": "2000-01-02"})
    assert response.context["rows"] == []


def test_flags(client, cases, caseworker, coordinator, settings):
    # Coordinator reads a case of another unit in their district: allowed by role.
    _read(client, coordinator, cases.b)
    # The protected main tenant's case.
    _read(client, caseworker, cases.p)
    # A grant to a user of another unit: flagged outside the unit unless the grant exists.
    case_services.grant_case_access(
        actor=coordinator, case_id=cases.a.pk, user=_user(cases, "caseworker2")
    )
    _read(client, _user(cases, "caseworker2"), cases.a)
    rows = {(r.entry.user_id, r.entry.case_id): r.flags for r in flag(list(entries(LogFilters())))}
    assert rows[(coordinator.pk, cases.b.pk)] == ()
    assert rows[(caseworker.pk, cases.p.pk)] == ("protected",)
    assert rows[(_user(cases, "caseworker2").pk, cases.a.pk)] == ()
    entry = AccessLogEntry.objects.get(case_id=cases.a.pk)
    assert entry.outside_unit  # recorded at read time, explained by the grant at review time
    settings.AUDIT_DAILY_READ_THRESHOLD = 1
    _read(client, caseworker, cases.a)
    rows = {(r.entry.user_id, r.entry.case_id): r.flags for r in flag(list(entries(LogFilters())))}
    assert "many" in rows[(caseworker.pk, cases.a.pk)]
    assert "many" not in rows[(coordinator.pk, cases.b.pk)]


def test_outside_unit_without_grant_is_flagged(cases, caseworker2):
    from audit import chain

    chain.append(
        user_id=caseworker2.pk,
        object_type="cases.case",
        object_id=cases.a.pk,
        how="page",
        ip="",
        case_id=cases.a.pk,
        unit_id=cases.a.responsible_unit_id,
        outside_unit=True,
    )
    (row,) = flag(list(entries(LogFilters())))
    assert row.flags == ("outside_unit",)


def _user(cases, name):
    from bokvar.models import User

    return User.objects.get(username=name)


def test_csv_export(client, cases, caseworker, auditor):
    _read(client, caseworker, cases.p)
    response = _login(client, auditor).get(reverse("audit:log_csv"), {"flagged": "on"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "seq"
    assert rows[1][2] == str(caseworker.pk) and rows[1][-1] == "protected"
    assert "Skyddadsdotter" not in response.content.decode()
    bad = client.get(reverse("audit:log_csv"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.status_code == 400


@pytest.mark.parametrize("name", ["audit:index", "audit:log", "audit:log_csv"])
def test_review_permissions(client, org, outsider, name):
    url = reverse(name)
    for username in ("coordinator", "guide", "caseworker", "caseworker2", "steering", "admin"):
        assert _login(client, org.users[username]).get(url).status_code == 403, username
    assert _login(client, outsider).get(url).status_code == 403
    assert _login(client, org.users["auditor"]).get(url).status_code == 200
    if name != "audit:index":
        assert client.post(url).status_code == 405


def test_legal_hold_place_and_release(client, cases, auditor, caseworker):
    head = cases.a.household.head_id
    url = reverse("audit:subject", args=[head])
    assert _login(client, caseworker).post(url, {"reason": "x"}).status_code == 403
    response = _login(client, auditor).post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    assert client.post(url, {"reason": "Pågående tvist"}).status_code == 302
    again = client.post(url, {"reason": "Igen"})
    assert "reason" in again.context["form"].errors
    from audit.models import LegalHold

    hold = LegalHold.objects.get(person_id=head)
    release = reverse("audit:hold_release", args=[head, hold.pk])
    assert client.get(release).status_code == 405
    assert _login(client, caseworker).post(release).status_code == 403
    assert _login(client, auditor).post(release).status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None
    assert client.post(reverse("audit:hold_release", args=[999999, hold.pk])).status_code == 404


def test_log_page_queries_do_not_grow(client, cases, caseworker, caseworker2, auditor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audit import chain

    def count():
        _login(client, auditor)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit:log")).status_code == 200
        return len(ctx.captured_queries)

    chain.append(
        user_id=caseworker2.pk,
        object_type="cases.case",
        object_id=cases.a.pk,
        how="page",
        ip="",
        case_id=cases.a.pk,
        unit_id=cases.a.responsible_unit_id,
        outside_unit=True,
    )
    small = count()
    for case in (cases.a, cases.b, cases.p, cases.g):
        for user in (caseworker, caseworker2):
            chain.append(
                user_id=user.pk,
                object_type="cases.case",
                object_id=case.pk,
                how="page",
                ip="",
                case_id=case.pk,
                unit_id=case.responsible_unit_id,
                outside_unit=True,
                protected=case is cases.p,
            )
    assert count() == small
