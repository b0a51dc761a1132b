"""The permission matrix of every handover page and endpoint: success, wrong method,
no permission (403) and no knowledge (404)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from bokvar.legal_calendar import statutory_last_day
from bokvar.models import Unit
from cases.core.services.access import grant_case_access
from cases.handovers.services import deciding as services
from cases.models import Handover

from .conftest import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    def _as(user):
        client = APIClient()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _as


@pytest.fixture
def granted_guide(cases, coordinator, guide):
    """The guide may read case A (granted), but is no member of its unit."""
    grant_case_access(actor=coordinator, case_id=cases.a.pk, user=guide)
    return guide


# --- Pages ------------------------------------------------------------------------------


def test_inbox(login, transfer, caseworker2, steering):
    client = login(caseworker2)
    response = client.get("/cases/handovers/")
    assert response.status_code == 200 and transfer.case.number in response.content.decode()
    assert client.post("/cases/handovers/").status_code == 405
    assert login(steering).get("/cases/handovers/").status_code == 403


def test_inbox_badge_is_one_query(login, transfer, caseworker2, django_assert_max_num_queries):
    from types import SimpleNamespace

    from bokvar.selectors import roles_of
    from cases.handovers.selectors import inbox_count

    request = SimpleNamespace(user=caseworker2)
    roles_of(caseworker2)
    with django_assert_max_num_queries(1):
        assert inbox_count(request) == 1
    assert 'class="badge"' in login(caseworker2).get("/cases/handovers/").content.decode()


def test_detail(login, transfer, caseworker2, steering, guide):
    url = f"/cases/handovers/{transfer.pk}/"
    assert login(caseworker2).get(url).status_code == 200
    assert login(caseworker2).post(url).status_code == 405
    assert login(steering).get(url).status_code == 403
    assert login(guide).get(url).status_code == 404
    assert login(caseworker2).get("/cases/handovers/999999/").status_code == 404


def test_accept(login, transfer, caseworker, caseworker2, guide):
    url = f"/cases/handovers/{transfer.pk}/accept/"
    taker = {"taken_by": caseworker2.pk}
    # Accepting asks who takes the case: the form is a page of its own too.
    assert login(caseworker2).get(url).status_code == 200
    assert login(caseworker2).put(url).status_code == 405
    assert login(caseworker).post(url, taker).status_code == 403  # the sender
    assert login(guide).post(url, taker).status_code == 404
    response = login(caseworker2).post(url, taker)
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == Handover.Status.ACCEPTED
    # A second accept is told who was first; nothing changes.
    again = login(caseworker2).post(url, taker, follow=True)
    told = [str(m) for m in again.context["messages"]]
    assert "Omar Haddad" in told[-1]


def test_return(login, transfer, caseworker, caseworker2, guide):
    url = f"/cases/handovers/{transfer.pk}/return/"
    assert login(caseworker2).get(url).status_code == 200
    assert login(caseworker2).put(url).status_code == 405
    assert login(caseworker).post(url, {"reason": "x"}).status_code == 403
    assert login(guide).post(url, {"reason": "x"}).status_code == 404
    empty = login(caseworker2).post(url, {"reason": ""})
    assert empty.status_code == 200 and Handover.objects.get().status == "pending"
    assert login(caseworker2).post(url, {"reason": "Fel enhet"}).status_code == 302
    assert Handover.objects.get().status == "returned"


def test_close(login, consultation, caseworker, caseworker2, steering, guide):
    services.accept_handover(actor=caseworker2, handover_id=consultation.pk)
    url = f"/cases/handovers/{consultation.pk}/close/"
    assert login(caseworker).get(url).status_code == 405
    assert login(steering).post(url).status_code == 403
    assert login(guide).post(url).status_code == 404
    assert login(caseworker).post(url).status_code == 302
    assert Handover.objects.get().status == "closed"
    # The consulted unit does not close it (issue 21, point 4).
    assert login(caseworker2).post(url).status_code == 403
    # Closing again is told who closed it; access stays withdrawn.
    told = [str(m) for m in login(caseworker).post(url, follow=True).context["messages"]]
    assert "Karin Lindqvist" in told[-1]


def test_acknowledge(login, transfer, caseworker, caseworker2, guide):
    services.return_handover(actor=caseworker2, handover_id=transfer.pk, reason="Fel")
    url = f"/cases/handovers/{transfer.pk}/acknowledge/"
    assert login(caseworker).get(url).status_code == 405
    assert login(caseworker2).post(url).status_code == 403  # the receiving unit
    assert login(guide).post(url).status_code == 404
    assert login(caseworker).post(url).status_code == 302
    assert Handover.objects.get().return_acknowledged_at is not None


def test_send(login, cases, org, caseworker, caseworker2, granted_guide):
    url = f"/cases/handovers/new/{cases.a.pk}/"
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    data = {"kind": "transfer", "to_unit": income.pk, "reason": "Behov", "urgency": "normal"}
    assert login(caseworker).get(url).status_code == 200
    assert login(caseworker).put(url).status_code == 405
    assert login(granted_guide).get(url).status_code == 403
    assert login(caseworker2).post(url, data).status_code == 404
    assert login(caseworker).post(url, data).status_code == 302
    assert login(caseworker).post(url, data).status_code == 302  # the double click
    assert Handover.objects.count() == 1
    bad = login(caseworker).post(url, {**data, "reason": ""})
    assert bad.status_code == 200 and Handover.objects.count() == 1


def test_request(login, consultation, org, caseworker, caseworker2, guide):
    services.accept_handover(actor=caseworker2, handover_id=consultation.pk)
    url = f"/cases/handovers/request/{consultation.case_id}/"
    data = {
        "from_unit": org.units[Unit.Kind.INCOME_SUPPORT].pk,
        "reason": "Vi tar över",
        "urgency": "high",
    }
    assert login(caseworker2).get(url).status_code == 200
    assert login(caseworker2).put(url).status_code == 405
    assert login(caseworker).get(url).status_code == 403  # already responsible
    assert login(guide).get(url).status_code == 404
    assert login(caseworker2).post(url, data).status_code == 302
    assert Handover.objects.filter(kind="transfer_request").count() == 1


def test_case_page_panel(login, transfer, caseworker, caseworker2):
    page = login(caseworker).get(f"/cases/{transfer.case_id}/").content.decode()
    assert f"/cases/handovers/new/{transfer.case_id}/" in page
    assert f"/cases/handovers/{transfer.pk}/" in page
    services.accept_handover(actor=caseworker2, handover_id=transfer.pk)
    page = login(caseworker2).get(f"/cases/{transfer.case_id}/").content.decode()
    assert "Omar Haddad" in page and "Karin Lindqvist" in page


# --- API --------------------------------------------------------------------------------


def test_api_list(api, transfer, caseworker2, guide, steering):
    response = api(caseworker2).get("/api/v1/handovers/?box=inbox")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [transfer.pk]
    assert api(guide).get("/api/v1/handovers/").json()["results"] == []
    assert api(caseworker2).put("/api/v1/handovers/").status_code == 405
    assert api(steering).get("/api/v1/handovers/").status_code == 403


def test_api_send(api, cases, org, caseworker, caseworker2, granted_guide):
    payload = {
        "case_id": cases.a.pk,
        "kind": "transfer",
        "to_unit": org.units[Unit.Kind.INCOME_SUPPORT].pk,
        "reason": "Behov",
    }
    first = api(caseworker).post("/api/v1/handovers/", payload, format="json")
    assert first.status_code == 201
    again = api(caseworker).post("/api/v1/handovers/", payload, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert api(granted_guide).post("/api/v1/handovers/", payload, format="json").status_code == 403
    assert api(caseworker2).post("/api/v1/handovers/", payload, format="json").status_code == 404
    bad = api(caseworker).post("/api/v1/handovers/", {**payload, "reason": ""}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]


def test_api_detail(api, transfer, caseworker2, guide, steering):
    url = f"/api/v1/handovers/{transfer.pk}/"
    assert api(caseworker2).get(url).json()["status"] == "pending"
    assert api(caseworker2).delete(url).status_code == 405
    assert api(steering).get(url).status_code == 403
    assert api(guide).get(url).status_code == 404


def test_api_accept(api, transfer, caseworker, caseworker2, guide, income_colleague):
    url = f"/api/v1/handovers/{transfer.pk}/accept/"
    assert api(caseworker2).get(url).status_code == 405
    assert api(caseworker).post(url).status_code == 403
    assert api(guide).post(url).status_code == 404
    assert api(caseworker2).post(url).json()["status"] == "accepted"
    late = api(income_colleague).post(url)
    assert late.status_code == 409 and "Omar Haddad" in late.json()["detail"]


def test_api_return(api, transfer, caseworker, caseworker2, guide):
    url = f"/api/v1/handovers/{transfer.pk}/return/"
    assert api(caseworker2).get(url).status_code == 405
    assert api(caseworker).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api(guide).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api(caseworker2).post(url, {}, format="json").status_code == 400
    ok = api(caseworker2).post(url, {"reason": "Fel enhet"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "returned"
    assert api(caseworker2).post(url, {"reason": "igen"}, format="json").status_code == 409
    assert send(transfer.case, actor=caseworker, to_unit=transfer.to_unit).status == "pending"


def test_api_detail_gives_the_decision_summary_and_marks_it_seen(
    api, transfer, caseworker, caseworker2
):
    from datetime import timedelta

    from cases.evictions.services import threats
    from cases.evictions.services.threats import ThreatData

    today = transfer.sent_at.date()
    threats.create_threat(
        actor=caseworker,
        case_id=transfer.case_id,
        data=ThreatData(termination_served_on=today, board_notified_on=today),
    )
    # The sender reading it does not mark it seen.
    api(caseworker).get(f"/api/v1/handovers/{transfer.pk}/")
    assert Handover.objects.get(pk=transfer.pk).seen_at is None
    body = api(caseworker2).get(f"/api/v1/handovers/{transfer.pk}/").json()
    summary = body["summary"]
    assert summary["case_number"] == transfer.case.number
    assert summary["adults"] == 1 and summary["children_ages"] == [
        today.year - 2015,
        today.year - 2019,
    ]
    text = " ".join(f"{line['label']}: {line['value']}" for line in summary["lines"])
    assert "Uppsägning" in text  # the threat's stage
    assert (
        statutory_last_day(today + timedelta(days=21)).isoformat() in text
    )  # the next legal deadline
    # No name or identity number of anyone in the household.
    assert "Adultsson" not in str(body) and "2387" not in str(body)
    seen = Handover.objects.get(pk=transfer.pk)
    assert seen.seen_by == caseworker2 and seen.seen_at is not None


def test_api_close_consultation(api, consultation, caseworker, caseworker2, guide, steering):
    url = f"/api/v1/handovers/{consultation.pk}/close/"
    assert api(caseworker2).get(url).status_code == 405
    # Not yet accepted: nothing to close.
    early = api(caseworker).post(url)
    assert early.status_code == 400 and "status" in early.json()["errors"]
    services.accept_handover(actor=caseworker2, handover_id=consultation.pk)
    assert api(steering).post(url).status_code == 403
    assert api(guide).post(url).status_code == 404
    assert api(caseworker2).post(url).status_code == 403  # the consulted unit
    ok = api(caseworker).post(url)
    assert ok.status_code == 200 and ok.json()["status"] == "closed"
    assert api(caseworker).post(url).status_code == 409


def test_api_close_refuses_a_transfer(api, transfer, caseworker2):
    services.accept_handover(actor=caseworker2, handover_id=transfer.pk)
    response = api(caseworker2).post(f"/api/v1/handovers/{transfer.pk}/close/")
    assert response.status_code in (400, 403)
    assert Handover.objects.get(pk=transfer.pk).status == "accepted"


def test_api_acknowledge_return(api, transfer, caseworker, caseworker2, guide, steering):
    url = f"/api/v1/handovers/{transfer.pk}/acknowledge/"
    assert api(caseworker).get(url).status_code == 405
    services.return_handover(actor=caseworker2, handover_id=transfer.pk, reason="Fel enhet")
    assert api(steering).post(url).status_code == 403
    assert api(guide).post(url).status_code == 404
    assert api(caseworker2).post(url).status_code == 403  # the receiver does not acknowledge
    ok = api(caseworker).post(url)
    assert ok.status_code == 200 and ok.json()["return_acknowledged_at"]
    inbox = api(caseworker).get("/api/v1/handovers/?box=inbox").json()["results"]
    assert transfer.pk not in [h["id"] for h in inbox]
