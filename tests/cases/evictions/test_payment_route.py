"""The payment route (issue 15, point 7): the income-support application, the decision,
the payment or written commitment and the landlord's confirmation, each against the
recovery deadline; a payment or commitment in time closes the deadline; the
income-support unit sees the deadline on its own list, and nobody else does."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from bokvar import services as org_services
from bokvar.concurrency import ConflictError
from bokvar.models import District, Role, Unit
from cases.evictions import selectors
from cases.evictions.services import payment_routes, threats
from cases.evictions.services.deadlines import complete_deadline
from cases.evictions.services.payment_routes import RouteData, route_steps
from cases.evictions.services.threats import ThreatData
from cases.models import Deadline, EvictionThreat, PaymentRoute
from tests.factories import UserFactory
from tests.test_no_plaintext import raw_text_values

pytestmark = pytest.mark.django_db

D = date.fromisoformat
TODAY = timezone.localdate()

# Rows of the golden table (test_deadline_golden.py): served = board notice given.
CHRISTMAS = (D("2025-12-03"), D("2025-12-29"))  # the last day moved past Christmas
EASTER = (D("2026-03-13"), D("2026-04-07"))  # past Good Friday and Easter Monday
MIDSUMMER = (D("2025-05-30"), D("2025-06-23"))  # past Midsummer Eve


def _threat(org, make_case, served: date, *, today: date, unit_kind=Unit.Kind.HOUSING_TEAM, **kw):
    case = make_case(unit_kind=unit_kind, assignees=["coordinator"])
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=served, board_notice_given_on=served, **kw),
        today=today,
    )
    return case, threat


def _save(org, case, threat, data: RouteData, *, today: date, version: int | None = None):
    if version is None:
        existing = PaymentRoute.objects.filter(threat=threat).first()
        version = existing.version if existing else 0
    return payment_routes.save_payment_route(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=version,
        data=data,
        today=today,
    )


def _recovery_row(threat) -> Deadline:
    return Deadline.objects.get(threat=threat, kind=Deadline.Kind.RECOVERY)


# --- Validation: each refusal names its field -------------------------------------------


def _bad_inputs(unit_id: int, adult_id: int) -> list[tuple[RouteData, str]]:
    a = D("2026-03-16")
    return [
        (RouteData(decision="granted", decided_on=a), "decision"),
        (RouteData(applied_on=a), "income_support_unit"),
        (RouteData(income_support_unit_id=unit_id), "applied_on"),
        (RouteData(applied_on=a, income_support_unit_id=adult_id), "income_support_unit"),
        (
            RouteData(
                applied_on=a,
                income_support_unit_id=unit_id,
                decision="granted",
                decided_on=a - timedelta(days=1),
            ),
            "decided_on",
        ),
        (
            RouteData(applied_on=a, income_support_unit_id=unit_id, decision="granted"),
            "decided_on",
        ),
        (
            RouteData(
                applied_on=a,
                income_support_unit_id=unit_id,
                decision="granted",
                decided_on=a,
                settlement="commitment",
                settled_on=a + timedelta(days=1),
                settled_amount=Decimal(0),
            ),
            "settled_amount",
        ),
        (
            RouteData(
                applied_on=a,
                income_support_unit_id=unit_id,
                decision="granted",
                decided_on=a,
                settlement="payment",
                settled_on=a + timedelta(days=1),
                settled_amount=Decimal("-100"),
            ),
            "settled_amount",
        ),
        (
            RouteData(
                applied_on=a,
                income_support_unit_id=unit_id,
                decision="refused",
                decided_on=a,
                settlement="payment",
                settled_on=a,
                settled_amount=Decimal(100),
            ),
            "settlement",
        ),
        (
            RouteData(
                applied_on=a,
                income_support_unit_id=unit_id,
                decision="granted",
                decided_on=a + timedelta(days=2),
                settlement="payment",
                settled_on=a + timedelta(days=1),
                settled_amount=Decimal(100),
            ),
            "settled_on",
        ),
        (
            RouteData(
                applied_on=a,
                income_support_unit_id=unit_id,
                decision="granted",
                decided_on=a,
                settlement="payment",
                settled_on=a + timedelta(days=3),
                settled_amount=Decimal(100),
                landlord_confirmed_on=a + timedelta(days=2),
            ),
            "landlord_confirmed_on",
        ),
        (RouteData(landlord_confirmed_on=a), "landlord_confirmed_on"),
        (RouteData(settled_amount=Decimal("NaN")), "settled_amount"),
        (RouteData(settled_amount=Decimal("12.345")), "settled_amount"),
        # Events that happened cannot lie ahead (today is 2026-03-20 below).
        (RouteData(applied_on=D("2026-03-23"), income_support_unit_id=unit_id), "applied_on"),
        (
            RouteData(
                applied_on=a,
                income_support_unit_id=unit_id,
                decision="granted",
                decided_on=D("2026-03-24"),
            ),
            "decided_on",
        ),
    ]


def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(org, make_case):
    case, threat = _threat(org, make_case, EASTER[0], today=D("2026-03-16"))
    cases = _bad_inputs(org.units[Unit.Kind.INCOME_SUPPORT].pk, org.units[Unit.Kind.ADULT].pk)
    for data, field in cases:
        with pytest.raises(ValidationError) as refused:
            _save(org, case, threat, data, today=D("2026-03-20"))
        assert field in refused.value.message_dict, (data, refused.value.message_dict)
    assert not PaymentRoute.objects.exists()
    assert _recovery_row(threat).done_at is None


def test_the_page_answers_bad_input_with_400_naming_the_field(org, make_case, login):
    case, threat = _threat(org, make_case, TODAY - timedelta(days=3), today=TODAY)
    url = reverse("cases:payment_route_edit", args=[case.pk, threat.pk])
    client = login(org.users["coordinator"])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"decision": "granted", "decided_on": TODAY.isoformat(), "version": "0"}
    )
    assert response.status_code == 400
    assert "decision" in response.context["form"].errors
    response = client.post(
        url,
        {
            "applied_on": TODAY.isoformat(),
            "income_support_unit": org.units[Unit.Kind.INCOME_SUPPORT].pk,
            "decision": "granted",
            "decided_on": TODAY.isoformat(),
            "settlement": "payment",
            "settled_on": TODAY.isoformat(),
            "settled_amount": "abc",
            "version": "0",
        },
    )
    assert response.status_code == 400
    assert "settled_amount" in response.context["form"].errors
    assert not PaymentRoute.objects.exists()


def test_concurrent_edits_conflict_instead_of_overwriting(org, make_case, login):
    case, threat = _threat(org, make_case, TODAY - timedelta(days=3), today=TODAY)
    unit = org.units[Unit.Kind.INCOME_SUPPORT]
    first = RouteData(applied_on=TODAY - timedelta(days=1), income_support_unit_id=unit.pk)
    route = _save(org, case, threat, first, today=TODAY, version=0)
    # A second form also opened before there was a route: a conflict, not a second route.
    with pytest.raises(ConflictError):
        _save(org, case, threat, RouteData(), today=TODAY, version=0)
    # Someone saves a decision; a form shown with the old version may not undo it.
    decided = RouteData(
        applied_on=first.applied_on,
        income_support_unit_id=unit.pk,
        decision="granted",
        decided_on=TODAY,
    )
    _save(org, case, threat, decided, today=TODAY, version=route.version)
    url = reverse("cases:payment_route_edit", args=[case.pk, threat.pk])
    response = login(org.users["coordinator"]).post(
        url,
        {
            "applied_on": first.applied_on.isoformat(),
            "income_support_unit": unit.pk,
            "version": str(route.version),
        },
    )
    assert response.status_code == 409
    route.refresh_from_db()
    assert route.decision == "granted"
    assert route.version == 2
    assert PaymentRoute.objects.count() == 1


# --- The payment or commitment closes the recovery deadline -----------------------------


def _granted(unit_id: int, applied: date, decided: date, **kw) -> RouteData:
    return RouteData(
        applied_on=applied,
        income_support_unit_id=unit_id,
        decision=kw.pop("decision", "granted"),
        decided_on=decided,
        **kw,
    )


def test_a_commitment_on_the_last_day_closes_the_deadline_and_one_after_does_not(org, make_case):
    """Christmas 2025: three weeks end on Christmas Eve, the last day is Mon 12-29. A
    commitment given that Monday saves the home; one given on 12-30 does not."""
    served, last = CHRISTMAS
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served)
    assert threat.recovery_deadline == last

    def commitment(on: date | None) -> RouteData:
        extra = (
            {"settlement": "commitment", "settled_on": on, "settled_amount": Decimal(18000)}
            if on
            else {}
        )
        return _granted(unit, D("2025-12-08"), D("2025-12-22"), **extra)

    route = _save(org, case, threat, commitment(D("2025-12-23")), today=D("2025-12-23"))
    assert _recovery_row(threat).done_at is not None
    assert threats.paid_in_time(threat)
    # Recorded by mistake and taken back on the last day: the deadline is open again.
    _save(org, case, threat, commitment(None), today=last)
    assert _recovery_row(threat).done_at is None
    # On the last day itself: in time.
    _save(org, case, threat, commitment(last), today=last)
    assert _recovery_row(threat).done_at is not None
    # A day late: not paid in time (the row is closed by the deadline's expiry only),
    # and the step says so.
    route = _save(org, case, threat, commitment(D("2025-12-30")), today=D("2025-12-30"))
    assert not threats.paid_in_time(threat)
    steps = {
        s.key: s for s in route_steps(threat, route, today=D("2025-12-30"), deadline_open=True)
    }
    assert "2025-12-29" in steps["settlement"].warning


def test_the_outcome_recovered_by_payment_accepts_the_routes_commitment(org, make_case):
    """Social services' commitment recovers the lease: the outcome may rest on the route's
    settlement instead of a payment date on the threat, and without either it is refused
    naming the payment date."""
    served, _last = CHRISTMAS
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served)
    outcome = ThreatData(
        termination_served_on=served,
        board_notice_given_on=served,
        outcome="recovered_by_payment",
    )

    def conclude():
        current = EvictionThreat.objects.get(pk=threat.pk)
        return threats.update_threat(
            actor=org.users["coordinator"],
            case_id=case.pk,
            threat_id=threat.pk,
            expected_version=current.version,
            data=outcome,
            today=D("2025-12-23"),
        )

    with pytest.raises(ValidationError) as refused:
        conclude()
    assert "paid_on" in refused.value.message_dict
    _save(
        org,
        case,
        threat,
        _granted(
            unit,
            D("2025-12-08"),
            D("2025-12-22"),
            settlement="commitment",
            settled_on=D("2025-12-23"),
            settled_amount=Decimal(18000),
        ),
        today=D("2025-12-23"),
    )
    assert conclude().outcome == "recovered_by_payment"


def test_a_new_route_does_not_reopen_a_deadline_marked_done_by_hand(org, make_case):
    served, _last = EASTER
    case, threat = _threat(org, make_case, served, today=served)
    row = _recovery_row(threat)
    complete_deadline(actor=org.users["coordinator"], deadline_id=row.pk)
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    _save(
        org,
        case,
        threat,
        RouteData(applied_on=D("2026-03-16"), income_support_unit_id=unit),
        today=D("2026-03-16"),
    )
    assert _recovery_row(threat).done_at is not None


def test_an_amount_short_of_what_recovers_the_lease_keeps_the_deadline_open(org, make_case):
    served, last = EASTER
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served, recovery_amount=Decimal("24000"))
    route = _save(
        org,
        case,
        threat,
        _granted(
            unit,
            D("2026-03-16"),
            D("2026-03-25"),
            decision="partly_granted",
            settlement="payment",
            settled_on=D("2026-03-30"),
            settled_amount=Decimal("20000"),
        ),
        today=D("2026-03-30"),
    )
    assert _recovery_row(threat).done_at is None
    steps = {
        s.key: s for s in route_steps(threat, route, today=D("2026-03-30"), deadline_open=True)
    }
    assert "4000" in steps["settlement"].warning
    # The threat's own payment of the rest closes it, the one rule for both.
    threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(
            termination_served_on=served,
            board_notice_given_on=served,
            recovery_amount=Decimal("24000"),
            paid_on=D("2026-04-02"),
        ),
        today=D("2026-04-02"),
    )
    assert _recovery_row(threat).done_at is not None


def test_lowering_the_need_after_a_short_payment_closes_and_raising_it_reopens(org, make_case):
    served, _last = MIDSUMMER
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served, recovery_amount=Decimal(9000))
    _save(
        org,
        case,
        threat,
        _granted(
            unit,
            D("2025-06-02"),
            D("2025-06-05"),
            settlement="payment",
            settled_on=D("2025-06-09"),
            settled_amount=Decimal(9000),
        ),
        today=D("2025-06-10"),
    )
    assert _recovery_row(threat).done_at is not None
    threat.refresh_from_db()
    threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(
            termination_served_on=served,
            board_notice_given_on=served,
            recovery_amount=Decimal(12000),
        ),
        today=D("2025-06-10"),
    )
    assert _recovery_row(threat).done_at is None


# --- Late for the deadline: dated scenarios ---------------------------------------------


@pytest.mark.parametrize(
    ("golden", "today", "step", "late"),
    [
        # Christmas: 12 calendar days but only 5 working days before Mon 12-29
        # (12-18, 19, 22, 23, 29): a decision is late from 12-17 on.
        (CHRISTMAS, D("2025-12-16"), "decision", False),
        (CHRISTMAS, D("2025-12-17"), "decision", True),
        # Easter: Tue 04-07; working days after Thu 03-26: 27, 30, 31, 04-01, 02, 07 (6).
        (EASTER, D("2026-03-26"), "decision", False),
        (EASTER, D("2026-03-27"), "decision", True),
        # Payment: late with two working days left (Easter: 04-02 and 04-07 after 04-01).
        (EASTER, D("2026-03-31"), "settlement", False),
        (EASTER, D("2026-04-01"), "settlement", True),
        # No application ten working days before Midsummer's Mon 06-23: 06-05 has
        # 06-09..13, 16..19, 23 = ten left (06-06 is the National Day).
        (MIDSUMMER, D("2025-06-04"), "application", False),
        (MIDSUMMER, D("2025-06-05"), "application", True),
    ],
)
def test_a_missing_step_is_late_counted_in_working_days(org, make_case, golden, today, step, late):
    served, last = golden
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served)
    assert threat.recovery_deadline == last
    route = None
    if step in ("decision", "settlement"):
        data = RouteData(applied_on=served + timedelta(days=3), income_support_unit_id=unit)
        if step == "settlement":
            data = _granted(unit, served + timedelta(days=3), served + timedelta(days=6))
        route = _save(org, case, threat, data, today=served + timedelta(days=7))
    steps = {s.key: s for s in route_steps(threat, route, today=today, deadline_open=True)}
    assert bool(steps[step].warning) is late, steps[step]
    # Only the missing step speaks; steps taken in time are quiet.
    assert not any(s.warning for s in steps.values() if s.key != step)


@pytest.mark.parametrize(
    ("golden", "knob", "lead", "until"),
    [
        (CHRISTMAS, "PAYMENT_ROUTE_DECISION_WORKING_DAYS", 5, D("2025-12-16")),
        (EASTER, "PAYMENT_ROUTE_DECISION_WORKING_DAYS", 5, D("2026-03-26")),
        (EASTER, "PAYMENT_ROUTE_PAYMENT_WORKING_DAYS", 2, D("2026-03-31")),
        (MIDSUMMER, "PAYMENT_ROUTE_APPLICATION_WORKING_DAYS", 10, D("2025-06-04")),
        (EASTER, "PAYMENT_ROUTE_APPLICATION_WORKING_DAYS", 10, D("2026-03-19")),
        # Nine working days from Mon 03-23 on: Sunday 03-22 is the last day in time, and
        # the Friday before is named (nobody decides on a Sunday).
        (EASTER, "PAYMENT_ROUTE_APPLICATION_WORKING_DAYS", 9, D("2026-03-20")),
    ],
)
def test_each_step_says_the_working_day_it_is_in_time_until(settings, golden, knob, lead, until):
    settings.BOKVAR = {**settings.BOKVAR, knob: lead}
    _served, last = golden
    assert payment_routes.in_time_until(last, knob) == until


def test_the_thresholds_are_settings(org, make_case, settings):
    served, _last = CHRISTMAS
    case, threat = _threat(org, make_case, served, today=served)
    settings.BOKVAR = {**settings.BOKVAR, "PAYMENT_ROUTE_APPLICATION_WORKING_DAYS": 20}
    steps = route_steps(threat, None, today=D("2025-12-03"), deadline_open=True)
    assert steps[0].key == "application" and steps[0].warning


def test_no_lateness_once_the_deadline_is_closed_and_a_refusal_warns(org, make_case):
    served, last = EASTER
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served)
    steps = route_steps(threat, None, today=last, deadline_open=False)
    assert not any(s.warning for s in steps)
    route = _save(
        org,
        case,
        threat,
        _granted(unit, D("2026-03-16"), D("2026-03-18"), decision="refused"),
        today=D("2026-03-18"),
    )
    steps = {
        s.key: s for s in route_steps(threat, route, today=D("2026-03-18"), deadline_open=True)
    }
    assert "2026-04-07" in steps["decision"].warning
    assert not steps["settlement"].warning  # nothing to pay after a refusal


def test_an_unconfirmed_payment_asks_for_the_landlords_confirmation(org, make_case):
    served, _last = EASTER
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served)
    route = _save(
        org,
        case,
        threat,
        _granted(
            unit,
            D("2026-03-16"),
            D("2026-03-18"),
            settlement="payment",
            settled_on=D("2026-03-20"),
            settled_amount=Decimal(5000),
        ),
        today=D("2026-03-20"),
    )
    # Fri 03-20 + three working days = Wed 03-25.
    early = {
        s.key: s for s in route_steps(threat, route, today=D("2026-03-24"), deadline_open=False)
    }
    late = {
        s.key: s for s in route_steps(threat, route, today=D("2026-03-25"), deadline_open=False)
    }
    assert not early["confirmation"].warning
    assert late["confirmation"].warning


# --- Who sees the deadline --------------------------------------------------------------


@pytest.fixture
def linked(org, make_case):
    """A case of the housing team (the income-support unit may not open it) whose threat
    has a recovery deadline and an eviction date, and a route with an application to the
    district's income-support unit."""
    case = make_case(unit_kind=Unit.Kind.HOUSING_TEAM, assignees=["coordinator"])
    served = TODAY - timedelta(days=3)
    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(
            termination_served_on=served,
            board_notice_given_on=served,
            application_to="enforcement",
            application_on=served,
            eviction_on=TODAY + timedelta(days=60),
        ),
        today=TODAY,
    )
    return case, threat


def _listed(user) -> set[tuple[int, str]]:
    return {(d.case_id, d.kind) for d in selectors.my_deadlines(user)}


def test_the_income_support_unit_sees_the_recovery_deadline_once_an_application_is_linked(
    org, linked, login
):
    case, threat = linked
    omar = org.users["caseworker2"]
    assert (case.pk, "recovery") not in _listed(omar)
    unit = org.units[Unit.Kind.INCOME_SUPPORT]
    _save(
        org,
        case,
        threat,
        RouteData(applied_on=TODAY, income_support_unit_id=unit.pk),
        today=TODAY,
    )
    # The recovery deadline and only that: not the eviction date, not the case.
    assert _listed(omar) >= {(case.pk, "recovery")}
    assert (case.pk, "eviction") not in _listed(omar)
    client = login(omar)
    page = client.get(reverse("cases:deadlines"))
    assert page.status_code == 200
    html = page.content.decode()
    assert case.number in html
    assert threat.recovery_deadline.isoformat() in html
    assert reverse("cases:detail", args=[case.pk]) not in html
    assert "Testsson" not in html
    # What the unit needs: its next step and the day it is in time until.
    decision_by = payment_routes.in_time_until(
        threat.recovery_deadline, "PAYMENT_ROUTE_DECISION_WORKING_DAYS"
    )
    assert decision_by.isoformat() in html
    # The read is logged, outside the unit's cases but explained by the application.
    entry = AccessLogEntry.objects.filter(user_id=omar.pk, case_id=case.pk).get()
    assert entry.outside_unit and entry.via_handover
    row = Deadline.objects.get(threat=threat, kind="recovery")
    assert reverse("cases:deadline_done", args=[row.pk]) not in html
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("cases:deadline_done", args=[row.pk])).status_code == 404
    assert (
        client.get(reverse("cases:payment_route_edit", args=[case.pk, threat.pk])).status_code
        == 404
    )
    # A refusal ends it: the unit has nothing more to do before the deadline.
    _save(
        org,
        case,
        threat,
        RouteData(
            applied_on=TODAY,
            income_support_unit_id=unit.pk,
            decision="refused",
            decided_on=TODAY,
        ),
        today=TODAY,
    )
    assert (case.pk, "recovery") not in _listed(omar)


def test_nobody_else_sees_it(org, linked, login, token, api_as):
    case, threat = linked
    _save(
        org,
        case,
        threat,
        RouteData(applied_on=TODAY, income_support_unit_id=org.units[Unit.Kind.INCOME_SUPPORT].pk),
        today=TODAY,
    )
    # Another district's income-support unit, and the adult unit's caseworker.
    elsewhere = District.objects.create(code="sodermalm", name="Södermalm")
    other_unit = org_services.create_unit(
        district=elsewhere, name="Försörjningsstöd Söder", kind=Unit.Kind.INCOME_SUPPORT
    )
    stranger = UserFactory(username="soder-handlaggare")
    org_services.add_membership(user=stranger, unit=other_unit, role=Role.CASEWORKER)
    for user in (stranger, org.users["caseworker"], org.users["guide"]):
        assert (case.pk, "recovery") not in _listed(user), user.username
        page = login(user).get(reverse("cases:deadlines"))
        assert page.status_code == 200
        assert case.number not in page.content.decode(), user.username
    for name in ("steering", "auditor"):
        assert login(org.users[name]).get(reverse("cases:deadlines")).status_code == 403
        assert (
            login(org.users[name])
            .get(reverse("cases:payment_route_edit", args=[case.pk, threat.pk]))
            .status_code
            == 403
        )
    # The landlord's API key opens no page, and the API says nothing of a route.
    landlord = api_as(token)
    assert landlord.get(reverse("cases:deadlines")).status_code in (302, 403)
    listing = landlord.get("/api/v1/signals/")
    assert listing.status_code == 200
    assert "route" not in listing.content.decode().lower()
    assert threat.recovery_deadline.isoformat() not in listing.content.decode()


def test_the_case_page_shows_the_route_in_constant_queries(
    org, linked, login, django_assert_max_num_queries
):
    case, threat = linked
    unit = org.units[Unit.Kind.INCOME_SUPPORT]
    _save(
        org,
        case,
        threat,
        _granted(unit.pk, TODAY - timedelta(days=1), TODAY),
        today=TODAY,
    )
    client = login(org.users["coordinator"])
    url = reverse("cases:detail", args=[case.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        html = client.get(url).content.decode()
    assert unit.name in html
    assert reverse("cases:payment_route_edit", args=[case.pk, threat.pk]) in html
    # The timeline has the steps.
    assert re.search("Beslut om försörjningsstöd|Income-support decision", html)
    # A second threat with a route adds no query to the page.
    threats.update_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        threat_id=threat.pk,
        expected_version=threat.version,
        data=ThreatData(
            termination_served_on=threat.termination_served_on,
            board_notice_given_on=threat.board_notice_given_on,
            application_to="enforcement",
            application_on=threat.application_on,
            eviction_on=threat.eviction_on,
            outcome="other",
        ),
        today=TODAY,
    )
    again = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=case.pk,
        data=ThreatData(termination_served_on=TODAY, board_notice_given_on=TODAY),
        today=TODAY,
    )
    _save(
        org, case, again, RouteData(applied_on=TODAY, income_support_unit_id=unit.pk), today=TODAY
    )
    with django_assert_max_num_queries(len(before)):
        client.get(url)


# --- Sensitive data ---------------------------------------------------------------------


def test_the_amount_is_encrypted_in_the_table_and_its_history(org, make_case):
    served, last = EASTER
    unit = org.units[Unit.Kind.INCOME_SUPPORT].pk
    case, threat = _threat(org, make_case, served, today=served)
    route = _save(
        org,
        case,
        threat,
        _granted(
            unit,
            D("2026-03-16"),
            D("2026-03-18"),
            settlement="commitment",
            settled_on=D("2026-03-20"),
            settled_amount=Decimal("28413.57"),
        ),
        today=D("2026-03-20"),
    )
    assert route.amount == Decimal("28413.57")
    assert PaymentRoute.objects.get(pk=route.pk).amount == Decimal("28413.57")
    assert route.history.count() == 1
    leaks = [(t, c) for t, c, v in raw_text_values() if "28413" in v]
    assert leaks == []


# --- Demo data --------------------------------------------------------------------------


def test_the_demo_has_a_route_in_progress_and_one_saved_in_time(demo_seeded):
    from bokvar.models import User

    today = timezone.localdate()
    routes = list(PaymentRoute.objects.select_related("threat"))
    running = [r for r in routes if r.applied_on and not r.decision]
    saved = [
        r
        for r in routes
        if r.threat.recovery_deadline
        and r.settles_by(r.threat.recovery_deadline, r.threat.recovery_amount)
        and r.landlord_confirmed_on
    ]
    assert running and saved
    assert running[0].threat.recovery_deadline >= today
    # The demo's income-support caseworker has the running one on their list.
    omar = User.objects.get(username="caseworker2")
    assert (running[0].threat.case_id, "recovery") in _listed(omar)
