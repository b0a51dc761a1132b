"""Every page and endpoint that shows personal data writes exactly one access-log entry
per record read. Pages join by registering with audit.registry.register_personal_data_view;
this walk fails when a registered page is not walked here."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessLogEntry
from audit.registry import personal_data_views
from cases.evictions.services import landlord_signals as signals
from cases.evictions.services.landlord_signals import SignalInput

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, cases, make_case):
    from cases.evictions.services.landlords import register_landlord
    from cases.models import Landlord, ProtectedIdentity
    from tests.case_fixtures import person

    # Q: the main tenant is not protected but another member of the household is, so the
    # case is. The handover, the placement and the threat are on it: the pages reading
    # them reach the case without its household, and must still log who it concerns.
    q = make_case(
        assignees=["caseworker"],
        people=[
            person("Quentin", "Qvist"),
            person(
                "Siri",
                "Qvist",
                protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
            ),
        ],
    )

    landlord = register_landlord(
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

    from cases.handovers.services import sending as handovers
    from housing import services as housing

    handover, _ = handovers.send_handover(
        actor=org.users["caseworker"],
        case_id=q.pk,
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
        case_id=q.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=None,
        monthly_cost=Decimal(3000),
        goals={},
    )
    from cases.evictions.services import threats
    from cases.evictions.services.threats import ThreatData

    threat = threats.create_threat(
        actor=org.users["coordinator"],
        case_id=q.pk,
        data=ThreatData(termination_served_on=today, board_notified_on=today),
    )
    from cases.evictions.services import contacts

    intervention = contacts.record_intervention(
        actor=org.users["coordinator"], case_id=q.pk, kind="home_help", on=today
    )
    from partners import services as partner_services
    from partners.referrals import services as referrals

    balans = partner_services.create_partner(
        actor=org.users["coordinator"],
        district=org.district,
        data=partner_services.PartnerData(name="Balans", kind="association"),
    )
    referral = referrals.propose_referral(
        actor=org.users["caseworker"],
        case_id=q.pk,
        data=referrals.ReferralData(
            partner_id=balans.pk,
            person_id=q.household.head_id,
            proposed_on=today,
            consent_on=today,
        ),
    )
    return {
        "referral": referral,
        "intervention": intervention,
        "threat": threat,
        "cases": cases,
        "q": q,
        "signal": signal,
        "org": org,
        "handover": handover,
        "placement": placement,
    }


# url name -> (user, url, expected entries, the case each entry concerns or None: a list
# of several cases, or a read that concerns no case)
def walks(world):
    c = world["cases"]
    q = world["q"]
    person_a = c.a.household.head_id
    signal = world["signal"]
    return {
        "cases:detail": ("caseworker", reverse("cases:detail", args=[c.a.pk]), 1, c.a),
        "cases:person_edit": (
            "caseworker",
            reverse("cases:person_edit", args=[c.a.pk, person_a]),
            1,
            c.a,
        ),
        "cases:person": ("caseworker", reverse("cases:person", args=[c.a.pk, person_a]), 1, c.a),
        "cases:signal": ("coordinator", reverse("cases:signal", args=[signal.pk]), 1, None),
        "cases:signals": ("coordinator", reverse("cases:signals"), "signals", None),
        "api-signal": ("coordinator", reverse("api-signal", args=[signal.pk]), 1, None),
        "api-signals": ("coordinator", reverse("api-signals"), "signals", None),
        "audit:case_history": (
            "caseworker",
            reverse("audit:case_history", args=[c.a.pk]),
            1,
            c.a,
        ),
        "audit:person_history": (
            "caseworker",
            reverse("audit:person_history", args=[person_a]),
            1,
            c.a,
        ),
        "audit:extract": ("auditor", reverse("audit:extract", args=[person_a]), 1, c.a),
        "audit:extract_json": ("auditor", reverse("audit:extract_json", args=[person_a]), 1, c.a),
        "audit:extract_pdf": ("auditor", reverse("audit:extract_pdf", args=[person_a]), 1, c.a),
        "cases:handover": (
            "caseworker2",
            reverse("cases:handover", args=[world["handover"].pk]),
            1,
            q,
        ),
        "api-handover": (
            "caseworker2",
            reverse("api-handover", args=[world["handover"].pk]),
            1,
            q,
        ),
        "api-handovers": ("caseworker2", reverse("api-handovers"), 1, q),
        "housing:placement": (
            "coordinator",
            reverse("housing:placement", args=[world["placement"].pk]),
            1,
            q,
        ),
        "cases:list": ("coordinator", reverse("cases:list"), "cases", None),
        "cases:edit": ("caseworker", reverse("cases:edit", args=[c.a.pk]), 1, c.a),
        "cases:children": ("caseworker", reverse("cases:children", args=[c.a.pk]), 1, c.a),
        "cases:protected_access": (
            "coordinator",
            reverse("cases:protected_access", args=[c.p.pk]),
            1,
            c.p,
        ),
        "cases:threat_edit": (
            "caseworker",
            reverse("cases:threat_edit", args=[q.pk, world["threat"].pk]),
            1,
            q,
        ),
        "cases:payment_route_edit": (
            "caseworker",
            reverse("cases:payment_route_edit", args=[q.pk, world["threat"].pk]),
            1,
            q,
        ),
        "cases:intervention_edit": (
            "caseworker",
            reverse("cases:intervention_edit", args=[q.pk, world["intervention"].pk]),
            1,
            q,
        ),
        "housing:nights_new": (
            "caseworker",
            reverse("housing:nights_new", args=[c.a.pk]),
            1,
            c.a,
        ),
        # Case Q's recovery deadline; the caseworker answers for case Q.
        "cases:deadlines": ("caseworker", reverse("cases:deadlines"), 1, q),
        # The pending consultation of case Q waits in income support's inbox.
        "cases:handovers": ("caseworker2", reverse("cases:handovers"), 1, q),
        "partners:referral": (
            "caseworker",
            reverse("partners:referral", args=[world["referral"].pk]),
            1,
            q,
        ),
        "partners:referral_new": (
            "caseworker",
            reverse("partners:referral_new", args=[q.pk]),
            1,
            q,
        ),
        # Only case Q has costs this year (its placement).
        "housing:forecast": ("coordinator", reverse("housing:forecast"), 1, q),
    }


def check_subject(name: str, entry, expected_case) -> None:
    """The entry names the person, case, unit and protection the read concerns, whatever
    the view had loaded of the case."""
    from cases.models import Case, Person, ProtectedIdentity

    if expected_case is not None:
        assert entry.case_id == expected_case.pk, name
    if entry.object_type == "cases.person":
        assert entry.person_id == entry.object_id, name
    if entry.case_id is None:
        return
    case = Case.objects.select_related("household").get(pk=entry.case_id)
    if entry.object_type != "cases.person":
        assert entry.person_id == case.household.head_id, name
    assert entry.unit_id == case.responsible_unit_id, name
    protected = (
        Person.objects.filter(household_id=case.household_id)
        .exclude(protected_identity=ProtectedIdentity.NONE)
        .exists()
    )
    assert entry.protected == protected, name


# Every other named URL, and why it shows no personal data of a client. A new view must
# be added to walks() above (and log its reads) or here, with its reason.
NO_PERSONAL_DATA = {
    "home": "the user's own roles and counts",
    "login": "sign-in form",
    "login-code": "second-factor code form",
    "login-enrol": "the user's own authenticator key",
    "login-locked": "sign-in form with password and code",
    "recovery-codes": "the user's own recovery codes",
    "oidc-login": "a redirect to the identity provider",
    "oidc-callback": "the identity provider's answer: a redirect on",
    "saml2_login": "a redirect to the identity provider",
    "saml2_acs": "POST only: the identity provider's answer, a redirect on",
    "saml2_metadata": "Bo Kvar's SAML metadata: its own keys and addresses",
    "password-change": "the user's own password form",
    "password-change-done": "a fixed message",
    "password-reset": "an e-mail address form",
    "password-reset-done": "a fixed message",
    "password-reset-confirm": "a new-password form",
    "password-reset-complete": "a fixed message",
    "passkeys": "the user's own passkeys (name and dates)",
    "passkey-register-options": "a WebAuthn challenge for the user's own account",
    "passkey-register": "registers the user's own passkey",
    "passkey-sign-in-options": "a WebAuthn challenge for signing in",
    "passkey-sign-in": "signs in with a passkey",
    "reset-second-factor": "administrators only; a staff member's name, no client data",
    "logout": "POST only",
    "set_language": "POST only",
    "notifications": "notification texts carry case numbers only, never personal data",
    "health": "public: whether the database and broker answer, nothing else",
    "api-docs": "API documentation",
    "api-schema": "API schema",
    "api-stats": "anonymised, suppressed statistics",
    "api-shelter-nights": "POST only: an invoice batch in, counts out",
    "api-handover-accept": "POST only: the handover's status, no case data",
    "api-handover-return": "POST only: the handover's status",
    "api-handover-close": "POST only: the handover's status",
    "api-handover-acknowledge": "POST only: the handover's status",
    "audit:index": "auditor's search form",
    # The log names the people its entries concern, to the auditor only, never a hidden
    # protected identity: reading the log is the auditor's office, not a read of them
    # (an identity-number search from it is logged as a lookup).
    "audit:log": "access-log entries with names, to the auditor; its search logs a lookup",
    "audit:log_csv": "access-log entries: ids, no personal data",
    "audit:log_review": "POST only: marks a read reviewed",
    "audit:subject": "a person id and its legal holds",
    "audit:hold_release": "POST only",
    "audit:extract_review": "POST only: approving or releasing an extract",
    "cases:access": "grant form: case number and staff names only",
    "cases:close": "close form: case number only",
    "cases:child_remove": "POST only",
    "cases:create": "an empty form",
    "cases:registration_received": "the same words for every registration: no case, no person",
    "cases:household_new_case": "a form: the household's case numbers and units only",
    "cases:contact_new": "an empty form",
    "cases:intervention_new": "an empty form",
    "cases:threat_new": "an empty form",
    "cases:deadline_done": "POST only",
    "cases:handover_accept": "POST only",
    "cases:handover_acknowledge": "POST only",
    "cases:handover_close": "POST only",
    "cases:handover_return": "POST only",
    "cases:handover_revoke_grant": "POST only",
    "cases:handover_request": "a form: case number and units",
    "cases:handover_send": "a form: case number and units",
    "cases:landlord_new": "an empty form",
    "cases:landlords": "landlords, not clients (a private landlord is not a subject of a case)",
    "cases:landlord_edit": "a landlord, not a client (a private landlord is not a subject of a case)",
    "cases:signal_new": "an empty form",
    "cases:signal_import": "an upload form",
    "cases:signal_import_status": "an import's progress and its rejected rows' line numbers",
    "cases:signal_dismiss": "POST only",
    "cases:signal_route": "POST only",
    "cases:signal_misconduct": "POST only: the landlord's warning and notice on a signal",
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
    "housing:placement_end": "POST only",
    "housing:placement_new": "a form: case number and vacant apartments",
    "partners:list": "partner organisations, not clients",
    "partners:new": "an empty form",
    "partners:edit": "a partner organisation, not a client",
    "partners:places": "meeting places: names and staffing",
    "partners:place": "a meeting place: hours, costs and anonymous day counts",
    "partners:staffing": "a form about the meeting place",
    "partners:opening_new": "an empty form",
    "partners:cost_set": "a form about the meeting place's costs",
    "partners:token_new": "POST only: a meeting place's API key",
    "partners:tally": "anonymous day counts: no visitor's identity is stored",
    "partners:report": "sums of anonymous day counts",
    "partners:report_csv": "sums of anonymous day counts",
    "partners:report_xlsx": "sums of anonymous day counts",
    "partners:surveys": "survey titles and their team or meeting place",
    "partners:survey_new": "an empty form",
    "partners:survey": "a survey's questions: no answer, no person",
    "partners:survey_question_new": "a form about a survey question",
    "partners:survey_question_remove": "POST only",
    "partners:survey_status": "POST only",
    "partners:survey_codes": "single-use codes: an answer keeps no link to its code",
    "partners:survey_paper": "an empty questionnaire to type a paper answer into",
    "partners:survey_results": "suppressed counts of anonymous answers; free text screened",
    "survey:start": "public: a form for a code",
    "survey:answer": "public: a survey's questions, answered anonymously",
    "survey:thanks": "public: a thank-you",
    "api-meeting-place-report": "sums of anonymous day counts",
    "api-meeting-place-tallies": "POST only: anonymous day counts in",
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
    from cases.evictions import selectors as wf

    org = world["org"]
    for name, (username, url, expected, expected_case) in walks(world).items():
        user = org.users[username]
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if expected == "cases":
            from cases.core.selectors.cases import CaseFilters, case_list

            expected = min(case_list(user, CaseFilters()).count(), 25)
            assert expected >= 1
        if expected == "signals":
            expected = (
                wf.triage_queue(user).count()
                if name == "cases:signals"
                else len(list(wf.visible_signals(user)[:50]))
            )
            assert expected >= 1
        before = AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        response = client.get(url)
        assert response.status_code == 200, name
        written = list(AccessLogEntry.objects.filter(seq__gt=before).order_by("seq"))
        assert len(written) == expected, name
        for entry in written:
            assert entry.user_id == user.pk, name
            check_subject(name, entry, expected_case)
    # A refused read shows nothing: it writes one entry, marked denied (issue 17).
    client.force_login(
        org.users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    before = AccessLogEntry.objects.count()
    assert client.get(reverse("cases:detail", args=[world["cases"].a.pk])).status_code == 404
    assert AccessLogEntry.objects.count() == before + 1
    assert AccessLogEntry.objects.order_by("-seq").first().denied


def invalid_posts(world):
    """Form pages posted with bad input: they re-render the page (with its personal data),
    so each rendering is one read, exactly as on GET."""
    c = world["cases"]
    q = world["q"]
    signal = world["signal"]
    person_a = c.a.household.head_id
    return {
        "cases:edit": ("caseworker", reverse("cases:edit", args=[c.a.pk]), {}, c.a),
        "cases:person_edit": (
            "caseworker",
            reverse("cases:person_edit", args=[c.a.pk, person_a]),
            {},
            c.a,
        ),
        "cases:children": ("caseworker", reverse("cases:children", args=[c.a.pk]), {}, c.a),
        "cases:protected_access": (
            "coordinator",
            reverse("cases:protected_access", args=[c.p.pk]),
            {},
            c.p,
        ),
        "cases:threat_edit": (
            "caseworker",
            reverse("cases:threat_edit", args=[q.pk, world["threat"].pk]),
            {"arrears_notice_on": "not a date"},
            q,
        ),
        "cases:payment_route_edit": (
            "caseworker",
            reverse("cases:payment_route_edit", args=[q.pk, world["threat"].pk]),
            {"applied_on": "not a date"},
            q,
        ),
        "housing:placement": (
            "coordinator",
            reverse("housing:placement", args=[world["placement"].pk]),
            {},
            q,
        ),
        "housing:nights_new": (
            "caseworker",
            reverse("housing:nights_new", args=[c.a.pk]),
            {},
            c.a,
        ),
        "cases:signal_open_case": (
            "coordinator",
            reverse("cases:signal_open_case", args=[signal.pk]),
            {},
            None,
        ),
        "cases:signal_dismiss": (
            "coordinator",
            reverse("cases:signal_dismiss", args=[signal.pk]),
            {},
            None,
        ),
        "cases:signal_misconduct": (
            "coordinator",
            reverse("cases:signal_misconduct", args=[signal.pk]),
            {},
            None,
        ),
    }


def test_a_page_rerendered_after_invalid_input_is_logged(client, world):
    org = world["org"]
    for name, (username, url, data, expected_case) in invalid_posts(world).items():
        user = org.users[username]
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        before = AccessLogEntry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        response = client.post(url, data)
        assert response.status_code in (200, 400), name
        written = list(AccessLogEntry.objects.filter(seq__gt=before))
        assert len(written) == 1, name
        assert written[0].user_id == user.pk, name
        check_subject(name, written[0], expected_case)


def test_a_save_that_redirects_writes_no_read(client, world):
    """The page shown after the redirect logs its own read; the save itself is not one."""
    c = world["cases"]
    client.force_login(
        world["org"].users["caseworker"], backend="django.contrib.auth.backends.ModelBackend"
    )
    before = AccessLogEntry.objects.count()
    response = client.post(
        reverse("cases:children", args=[c.a.pk]),
        {"birth_year": 2020, "version": c.a.household.version},
    )
    assert response.status_code == 302
    assert AccessLogEntry.objects.count() == before
    # A refused POST (not allowed to add notes) writes nothing either.
    client.force_login(
        world["org"].users["caseworker2"], backend="django.contrib.auth.backends.ModelBackend"
    )
    response = client.post(reverse("housing:placement", args=[world["placement"].pk]), {})
    assert response.status_code in (403, 404)
    assert AccessLogEntry.objects.count() == before


def test_logging_a_list_costs_the_same_queries_whatever_its_length(rf, world):
    """Who each read concerns is loaded in bulk: no query per row of a list."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audit.hooks import record_reads
    from cases.models import Case, Person

    request = rf.get("/")
    request.user = world["org"].users["coordinator"]

    def count(objs) -> int:
        with CaptureQueriesContext(connection) as ctx:
            record_reads(request, objs=objs)
        return len(ctx.captured_queries)

    # Plain rows: nothing related is loaded, so describing them must load it.
    for model in (Case, Person):
        rows = list(model.objects.order_by("pk"))
        assert len(rows) >= 4
        count(rows[:1])  # warm the user's roles
        assert count(rows[:1]) == count(rows), model
    everything = [*Case.objects.all(), *Person.objects.all()]
    first = AccessLogEntry.objects.order_by("-seq").first().seq
    record_reads(request, objs=everything)
    written = AccessLogEntry.objects.filter(seq__gt=first)
    assert written.count() == len(everything)
    assert not written.filter(object_type="cases.case", person_id=None).exists()
    assert not written.filter(case_id=None).exists()  # every person here has a case
