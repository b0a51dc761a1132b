"""The steering role reaches its own pages and nothing else, and nothing it reaches
shows a name, an identity number, an address or a case number."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl import load_workbook

from steering.periods import parse_period
from steering.services import freeze_month

pytestmark = pytest.mark.django_db

# What the steering role may open (by URL name); everything else is 403/404.
STEERING_NAMES = {
    # Their own passkeys and signing in with one (issue 21): no one else's data.
    "passkeys",
    "passkey-register-options",
    "passkey-register",
    "passkey-sign-in-options",
    "passkey-sign-in",
    "home",
    "notifications",
    "health",  # public: whether the database and broker answer
    "login",  # signed in: redirected home
    # The sign-in's further steps: without a pending sign-in, redirected to "login".
    "login-code",
    "login-enrol",
    "login-locked",
    "recovery-codes",  # signed in, nothing to show: redirected home
    # Their own password (change, reset by e-mail): no one else's data.
    "password-change",
    "password-change-done",
    "password-reset",
    "password-reset-done",
    "password-reset-confirm",
    "password-reset-complete",
    "logout",
    "set_language",
    "api-stats",
    # The OpenAPI description of the endpoints: no data, and the steering group's tools need it.
    "api-schema",
    "api-docs",
    # Client surveys: the list and the results, suppressed, without free text.
    "surveys",
    "survey_results",
}
# "survey": the public answer pages, open to anyone with a code (no login).
STEERING_NAMESPACES = {"steering", "survey"}


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = p.namespace or namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.name, namespace


def _fill(route: str, pk: int) -> str:
    route = re.sub(r"<int:\w+>", str(pk), route)
    route = re.sub(r"<(?:str:|slug:|path:)?\w+>", "x", route)
    return "/" + route.lstrip("^").rstrip("$")


def _project_urls():
    for route, name, namespace in _walk(get_resolver().url_patterns):
        if namespace == "admin":
            continue  # Django's admin: checked on its own below (steering is not staff)
        yield route, name, namespace


def test_every_url_pattern_refuses_steering_except_its_own(client, org, steering, cases):
    client.force_login(steering, backend="django.contrib.auth.backends.ModelBackend")
    checked = 0
    for route, name, namespace in _project_urls():
        if name in STEERING_NAMES or namespace in STEERING_NAMESPACES:
            continue
        url = _fill(route, cases.a.pk)
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status in {403, 404, 405}, (method, url, status)
            if status == 405:
                assert client.post(url).status_code in {403, 404}, url
        checked += 1
    assert checked >= 7  # the case pages at least
    admin = client.get("/admin/")
    assert admin.status_code == 302 and "/admin/login/" in admin["Location"]


def _texts(response) -> str:
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(response.content))
        return "\n".join(
            str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value
        )
    return response.content.decode()


@pytest.fixture
def domain_data(org, cases):
    """Personal data in the workflow, housing and handover records the figures count:
    a private landlord's signal about a tenant, a threat, shelter nights and a handover."""
    from datetime import date, datetime
    from decimal import Decimal

    from django.utils import timezone

    from bokvar.models import Unit
    from cases.handovers.services import sending as handovers
    from cases.models import EvictionThreat, Landlord, LandlordSignal
    from housing.models import Shelter, ShelterNight

    landlord = Landlord.objects.create(
        kind="private",
        private_name="Ragnhild Hyresvärdsson",
        contact_person="Sixten Kontaktsson",
        phone="073-555 12 34",
        email="ragnhild@hyresvard.example.se",
        address="Värdvägen 9",
        name_bidx="reach-private",
    )
    for district in (org.district, None):
        LandlordSignal.objects.create(
            landlord=landlord,
            kind="rent_arrears",
            channel="letter",
            received_on=date(2026, 3, 4),
            tenant_name="Tilda Hyresgästsson",
            tenant_personal_number="19700707-1238",
            tenant_address="Signalgränd 7",
            description="Skuld sedan maj, grannarna klagar",
            district=district,
        )
    EvictionThreat.objects.create(
        case=cases.a, arrears_notice_on=date(2026, 3, 2), eviction_on=date(2026, 3, 30)
    )
    shelter = Shelter.objects.create(name="Härbärget", district=org.district)
    ShelterNight.objects.create(
        person=cases.a.household.head,
        shelter=shelter,
        night=date(2026, 3, 5),
        cost=Decimal(300),
        paying_unit=org.units[Unit.Kind.ADULT],
    )
    handovers.send_handover(
        actor=org.users["coordinator"],
        case_id=cases.a.pk,
        kind="consultation",
        to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        reason="Astrid behöver hjälp med skulden",
        now=timezone.make_aware(datetime(2026, 3, 6, 9)),
    )
    # A referral to a partner (issue 20): the figures count it by partner and outcome; its
    # texts, the client and the partner's contact person must never show.
    from partners.models import DailyTally, Partner, Referral

    partner = Partner.objects.create(
        name="Balans",
        kind="association",
        district=org.district,
        contact_person="Greta Kontaktsdotter",
    )
    Referral.objects.create(
        case=cases.a,
        person=cases.a.household.head,
        partner=partner,
        referred_by=org.users["caseworker"],
        consent_on=date(2026, 3, 1),
        proposed_on=date(2026, 3, 1),
        sent_on=date(2026, 3, 2),
        answered_on=date(2026, 3, 3),
        status="declined",
        need="Vill träffa andra med ångest",
        share_need=True,
        decline_reason="Fullt för Astrid i vår",
    )
    place = Partner.objects.create(name="Balder", kind="meeting_place", district=org.district)
    from partners.models import MeetingPlace

    DailyTally.objects.create(
        place=MeetingPlace.objects.create(partner=place),
        day=date(2026, 3, 4),
        visits=7,
        new_visitors=2,
        women=7,
        from_this_district=7,
    )
    return [
        "Kontaktsdotter",
        "träffa andra med ångest",
        "Fullt för Astrid",
        "Ragnhild",
        "Hyresvärdsson",
        "Sixten",
        "Kontaktsson",
        "073-555",
        "hyresvard.example",
        "Värdvägen",
        "Tilda",
        "Hyresgästsson",
        "19700707-1238",
        "700707-1238",
        "Signalgränd",
        "Skuld sedan maj",
        "behöver hjälp med skulden",
    ]


def _team_survey_with_free_text(org):
    """A client wrote their name and case number into a team survey's free text: the
    steering group never sees free text."""
    from bokvar.models import Unit
    from partners import survey_services
    from partners.survey_services import QuestionData, SurveyData

    coordinator = org.users["coordinator"]
    survey = survey_services.create_survey(
        actor=coordinator, data=SurveyData(title="Enkät"), unit=org.units[Unit.Kind.HOUSING_TEAM]
    )
    survey_services.add_question(
        actor=coordinator,
        survey_id=survey.pk,
        expected_version=survey.version,
        data=QuestionData(kind="text", text="Övrigt?"),
    )
    survey.refresh_from_db()
    survey_services.set_status(
        actor=coordinator, survey_id=survey.pk, expected_version=survey.version, status="open"
    )
    field = survey.questions.get().field_name
    survey_services.enter_paper_answers(
        actor=coordinator, survey_id=survey.pk, data={field: ["Tilda Hyresgästsson tackar"]}
    )
    return survey


def test_nothing_the_steering_role_reaches_shows_personal_data(
    client, org, steering, cases, stats_cases, domain_data
):
    from django.utils import timezone

    from steering.snapshots import quick_periods

    # This year so far (completed months only): the cases above are counted in it.
    today_year = quick_periods(timezone.localdate())[2].key
    report = freeze_month(
        district=org.district, period=parse_period("2026-03"), actor=org.users["coordinator"]
    )
    survey = _team_survey_with_free_text(org)
    client.force_login(steering, backend="django.contrib.auth.backends.ModelBackend")
    urls = [
        reverse("home"),
        reverse("notifications"),
        reverse("partners:surveys"),
        reverse("partners:survey_results", args=[survey.pk]),
        reverse("steering:dashboard"),
        reverse("steering:dashboard") + f"?period={today_year}",
        reverse("steering:dashboard") + "?period=2026-03",
        reverse("steering:export_csv") + f"?period={today_year}",
        reverse("steering:export_xlsx") + f"?period={today_year}",
        reverse("steering:export_csv") + "?period=2026-03",
        reverse("steering:reports"),
        reverse("steering:report", args=[report.pk]),
        reverse("steering:report_csv", args=[report.pk]),
        reverse("steering:report_xlsx", args=[report.pk]),
        f"/api/v1/stats/?period={today_year}",
        "/api/v1/stats/?period=2026-03",
        "/api/v1/stats/?period=2026-YTD09",
        reverse("api-schema"),
        reverse("api-docs"),
    ]
    # Bad input: the error pages and responses the steering role can provoke.
    refused = [
        reverse("steering:dashboard") + "?period=last-spring",
        reverse("steering:export_csv") + "?period=2026-13",
        "/api/v1/stats/?period=2026-00",
        "/api/v1/stats/?from=2026-09&to=2026-01",
        "/api/v1/stats/?period=2026-YTD13",
    ]
    secrets = [
        "Astrid",
        "Adultsson",
        "Bertil",
        "Bidragsson",
        "Petra",
        "Skyddadsdotter",
        "Gustav",
        "Guidesson",
        "19800101-2387",
        "198001012387",
        "800101-2387",
        "19750505-4176",
        "19900303-5624",
        "19851212-8730",
        "Hemligvägen",
        "gatan 1",
        "113 30",
        "Skuld hos Kronofogden",
        "070-123",
        "@example.se",
        "BK-20",
    ]
    secrets += [c.number for c in (cases.a, cases.b, cases.p, cases.g, *stats_cases)]
    # The stats_cases fixture's people: "Stat Adult0" ... "Stat Earlier".
    secrets += [f"Adult{n}" for n in range(6)] + ["Homeless0", "Homeless1"]
    secrets += [f"Team{n}" for n in range(7)] + ["Stat Earlier"]
    secrets += domain_data
    for url in urls + refused:
        response = client.get(url)
        assert response.status_code == (400 if url in refused else 200), url
        text = _texts(response)
        leaked = [s for s in secrets if s in text]
        assert not leaked, (url, leaked)
    # The figures are really there: this year's cases are counted.
    api = client.get(f"/api/v1/stats/?period={today_year}", HTTP_ACCEPT_LANGUAGE="en").json()
    assert any(c["value"] or c["hidden"] for f in api["figures"] for c in f["total"]["cells"])
    # The partners' figures are there too (issue 20): the referral's partner and the
    # meeting place as rows, their small counts hidden.
    march = client.get("/api/v1/stats/?period=2026-03").json()
    rows = {
        f["key"]: {r["label"]: r["cells"] for r in f["rows"]}
        for f in march["figures"]
        if f["key"] in ("referrals_by_partner", "meeting_place_visits")
    }
    assert rows["referrals_by_partner"]["Balans"][0]["display"] == "<5"
    assert rows["meeting_place_visits"]["Balder"][1]["display"] == "<5"
