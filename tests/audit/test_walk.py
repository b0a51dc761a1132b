"""Every page and endpoint that shows personal data writes exactly one access-log entry
per record read. Pages join by registering with audit.registry.register_personal_data_view;
this walk fails when a registered page is not walked here."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from audit.registry import personal_data_views
from cases.workflow import signals
from cases.workflow.signals import SignalInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, cases):
    from cases import services
    from cases.models import Landlord

    landlord = services.register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Walkbostäder"
    )
    today = timezone.localdate()
    signal = signals.register_signal(
        actor=org.users["coordinator"],
        landlord=landlord,
        data=SignalInput(kind="neglect", received_on=today, channel="phone"),
    )
    from datetime import date
    from decimal import Decimal

    from cases.handovers import services as handovers
    from housing import services as housing

    handover, _ = handovers.send_handover(
        actor=org.users["caseworker"],
        case_id=cases.a.pk,
        kind="consultation",
        to_unit=org.units["income_support"],
        reason="Behöver stöd",
    )
    apartment = housing.create_apartment(
        actor=org.users["coordinator"],
        district_id=org.district.pk,
        kind="training",
        reference="W-1",
        address="Gatan 1",
        rent=Decimal(5000),
        status_since=date(2025, 1, 1),
    )
    placement = housing.start_placement(
        actor=org.users["coordinator"],
        case_id=cases.a.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=None,
        monthly_cost=Decimal(3000),
        goals={},
    )
    from cases.workflow import threats
    from cases.workflow.threats import ThreatData

    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=cases.a.pk,
        data=ThreatData(termination_served_on=today, board_notified_on=today),
    )
    return {
        "threat": threat,
        "cases": cases,
        "signal": signal,
        "org": org,
        "handover": handover,
        "placement": placement,
    }


# url name -> (user, url builder, expected entries builder)
def walks(world):
    c = world["cases"]
    person_a = c.a.household.head_id
    signal = world["signal"]
    return {
        "cases:detail": ("caseworker", reverse("cases:detail", args=[c.a.pk]), 1),
        "cases:person_edit": (
            "caseworker",
            reverse("cases:person_edit", args=[c.a.pk, person_a]),
            1,
        ),
        "cases:person": ("caseworker", reverse("cases:person", args=[c.a.pk, person_a]), 1),
        "cases:signal": ("coordinator", reverse("cases:signal", args=[signal.pk]), 1),
        "cases:signals": ("coordinator", reverse("cases:signals"), "signals"),
        "api-signal": ("coordinator", reverse("api-signal", args=[signal.pk]), 1),
        "api-signals": ("coordinator", reverse("api-signals"), "signals"),
        "audit:case_history": ("caseworker", reverse("audit:case_history", args=[c.a.pk]), 1),
        "audit:person_history": ("caseworker", reverse("audit:person_history", args=[person_a]), 1),
        "audit:extract": ("auditor", reverse("audit:extract", args=[person_a]), 1),
        "audit:extract_json": ("auditor", reverse("audit:extract_json", args=[person_a]), 1),
        "cases:handover": (
            "caseworker2",
            reverse("cases:handover", args=[world["handover"].pk]),
            1,
        ),
        "api-handover": ("caseworker2", reverse("api-handover", args=[world["handover"].pk]), 1),
        "api-handovers": ("caseworker2", reverse("api-handovers"), 1),
        "housing:placement": (
            "coordinator",
            reverse("housing:placement", args=[world["placement"].pk]),
            1,
        ),
        "cases:list": ("coordinator", reverse("cases:list"), "cases"),
        "cases:edit": ("caseworker", reverse("cases:edit", args=[c.a.pk]), 1),
        "cases:children": ("caseworker", reverse("cases:children", args=[c.a.pk]), 1),
        "cases:protected_access": (
            "coordinator",
            reverse("cases:protected_access", args=[c.p.pk]),
            1,
        ),
        "cases:threat_edit": (
            "caseworker",
            reverse("cases:threat_edit", args=[c.a.pk, world["threat"].pk]),
            1,
        ),
        # Case A's recovery deadline; the caseworker answers for case A.
        "cases:deadlines": ("caseworker", reverse("cases:deadlines"), 1),
        # The pending consultation of case A waits in income support's inbox.
        "cases:handovers": ("caseworker2", reverse("cases:handovers"), 1),
        # Only case A has costs this year (its placement).
        "housing:forecast": ("coordinator", reverse("housing:forecast"), 1),
    }


# Every other named URL, and why it shows no personal data of a client. A new view must
# be added to walks() above (and log its reads) or here, with its reason.
NO_PERSONAL_DATA = {
    "home": "the user's own roles and counts",
    "login": "sign-in form",
    "logout": "POST only",
    "set_language": "POST only",
    "notifications": "notification texts carry case numbers only, never personal data",
    "api-docs": "API documentation",
    "api-schema": "API schema",
    "api-stats": "anonymised, suppressed statistics",
    "api-shelter-nights": "POST only: an invoice batch in, counts out",
    "api-handover-accept": "POST only: the handover's status, no case data",
    "api-handover-return": "POST only: the handover's status",
    "api-handover-close": "POST only: the handover's status",
    "api-handover-acknowledge": "POST only: the handover's status",
    "audit:index": "auditor's search form",
    "audit:log": "access-log entries: ids, no personal data",
    "audit:log_csv": "access-log entries: ids, no personal data",
    "audit:subject": "a person id and its legal holds",
    "audit:hold_release": "POST only",
    "cases:access": "grant form: case number and staff names only",
    "cases:close": "close form: case number only",
    "cases:child_remove": "POST only",
    "cases:create": "an empty form",
    "cases:household_new_case": "a form: the household's case numbers and units only",
    "cases:contact_new": "an empty form",
    "cases:intervention_new": "an empty form",
    "cases:threat_new": "an empty form",
    "cases:deadline_done": "POST only",
    "cases:handover_accept": "POST only",
    "cases:handover_acknowledge": "POST only",
    "cases:handover_close": "POST only",
    "cases:handover_return": "POST only",
    "cases:handover_request": "a form: case number and units",
    "cases:handover_send": "a form: case number and units",
    "cases:landlord_new": "an empty form",
    "cases:landlords": "landlords, not clients (a private landlord is not a subject of a case)",
    "cases:landlord_edit": "a landlord, not a client (a private landlord is not a subject of a case)",
    "cases:signal_new": "an empty form",
    "cases:signal_import": "an upload form",
    "cases:signal_dismiss": "POST only",
    "cases:signal_link": "POST only",
    "cases:signal_open_case": "POST only",
    "cases:signal_reopen_case": "POST only",
    "housing:apartments": "apartments: references, addresses of the municipality's flats",
    "housing:apartment": "an apartment and the case numbers of its placements",
    "housing:apartment_new": "an empty form",
    "housing:apartment_status": "a form about the apartment",
    "housing:comparison": "sums per unit, no client",
    "housing:cost_new": "an empty form",
    "housing:cost_remove": "POST only",
    "housing:night_remove": "POST only",
    "housing:nights_import": "an upload form",
    "housing:nights_new": "an empty form",
    "housing:placement_end": "POST only",
    "housing:placement_new": "a form: case number and vacant apartments",
    "steering:dashboard": "anonymised, suppressed statistics",
    "steering:export_csv": "anonymised, suppressed statistics",
    "steering:export_xlsx": "anonymised, suppressed statistics",
    "steering:reports": "list of stored anonymised reports",
    "steering:report": "a stored anonymised report",
    "steering:report_csv": "a stored anonymised report",
    "steering:report_xlsx": "a stored anonymised report",
    "steering:regenerate": "POST only",
}


def _url_names(resolver=None, namespace=""):
    from django.urls import URLResolver, get_resolver

    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue  # the Django admin shows cases and people by number, band and status only
            prefix = namespace + (pattern.namespace + ":" if pattern.namespace else "")
            yield from _url_names(pattern, prefix)
        elif pattern.name:
            yield namespace + pattern.name


def test_every_url_is_walked_or_says_why_it_shows_no_personal_data(world):
    names = set(_url_names())
    walked = set(walks(world))
    assert not walked & set(NO_PERSONAL_DATA), "a view is both walked and exempted"
    unclassified = names - walked - set(NO_PERSONAL_DATA)
    assert not unclassified, (
        f"walk these views (and log their reads) or exempt them: {unclassified}"
    )
    stale = (walked | set(NO_PERSONAL_DATA)) - names
    assert not stale, f"no such URL names any more: {stale}"


def test_every_registered_personal_data_view_is_walked(world):
    assert set(walks(world)) == set(personal_data_views), (
        "a page showing personal data is registered but not walked here (or vice versa)"
    )


def test_each_read_writes_exactly_one_entry_per_record(client, world):
    from cases.workflow import selectors as wf

    org = world["org"]
    for name, (username, url, expected) in walks(world).items():
        user = org.users[username]
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if expected == "cases":
            from cases.selectors import CaseFilters, case_list

            expected = min(case_list(user, CaseFilters()).count(), 25)
            assert expected >= 1
        if expected == "signals":
            expected = (
                wf.triage_queue(user).count()
                if name == "cases:signals"
                else len(list(wf.visible_signals(user)[:50]))
            )
            assert expected >= 1
        before = AccessLogEntry.objects.count()
        response = client.get(url)
        assert response.status_code == 200, name
        after = AccessLogEntry.objects.count()
        assert after - before == expected, name
        newest = AccessLogEntry.objects.order_by("-seq").first()
        assert newest.user_id == user.pk, name
    # A refused read writes nothing.
    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    before = AccessLogEntry.objects.count()
    assert client.get(reverse("cases:detail", args=[world["cases"].a.pk])).status_code == 404
    assert AccessLogEntry.objects.count() == before
