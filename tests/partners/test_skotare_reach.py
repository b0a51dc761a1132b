"""Meeting-place staff (skötare) reach their own place's pages and nothing else, and
nothing they reach shows a person, an identity number or a case number."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from partners import services
from partners.services import TallyInput
from tests.steering.test_steering_reach import _fill, _project_urls

pytestmark = pytest.mark.django_db

# What a skötare may open (by URL name); everything else is 403/404/405.
SKOTARE_NAMES = {
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
    "api-schema",
    "api-docs",
    "partners:places",
    "partners:place",
    "partners:tally",
    "partners:report",
    "partners:report_csv",
    "partners:report_xlsx",
    "api-meeting-place-report",
    "api-meeting-place-tallies",
    # Surveys of their own place (each further scoped by partners.selectors).
    "partners:surveys",
    "partners:survey_new",
    "partners:survey",
    "partners:survey_question_new",
    "partners:survey_question_remove",
    "partners:survey_status",
    "partners:survey_codes",
    "partners:survey_paper",
    "partners:survey_results",
    # The public answer pages: anyone, signed in or not, with a code.
    "survey:start",
    "survey:answer",
    "survey:thanks",
}


def test_every_url_refuses_skotare_except_their_own(login, skotare, cases, balder):
    client = login(skotare)
    checked = 0
    for route, name, namespace in _project_urls():
        full = f"{namespace}:{name}" if namespace else name
        if full in SKOTARE_NAMES:
            continue
        url = _fill(route, cases.a.pk)
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            assert status in {403, 404, 405}, (method, url, status)
            if status == 405:
                assert client.post(url).status_code in {403, 404}, url
        checked += 1
    assert checked >= 40
    # Their own pages, filled with their own place, open.
    for name in ("partners:place", "partners:tally"):
        assert client.get(reverse(name, args=[balder.pk])).status_code == 200, name
    assert client.get(reverse("partners:places")).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_a_place_that_is_not_theirs_does_not_exist_for_them(login, skotare, balder, vistet):
    client = login(skotare)
    for name in ("partners:place", "partners:tally"):
        assert client.get(reverse(name, args=[vistet.pk])).status_code == 404, name
    api = reverse("api-meeting-place-report", args=[vistet.pk])
    assert client.get(api, {"year": 2026}).status_code == 404
    listing = client.get(reverse("partners:places")).content.decode()
    assert "Balder" in listing and "Vistet" not in listing
    # A report asked for another place shows only their own.
    report = client.get(reverse("partners:report"), {"year": 2026, "place": vistet.pk})
    assert "Vistet" not in report.content.decode()


def _texts(response) -> str:
    if "spreadsheetml" in response.get("Content-Type", ""):
        book = load_workbook(io.BytesIO(response.content))
        return "\n".join(
            str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value
        )
    return response.content.decode()


def _answered_survey(skotare, place):
    """A guest wrote an identity number into the free text: screened before the owner
    (the skötare) sees it."""
    from partners import survey_services
    from partners.survey_services import QuestionData, SurveyData

    survey = survey_services.create_survey(
        actor=skotare, data=SurveyData(title="Enkät"), place=place
    )
    survey_services.add_question(
        actor=skotare,
        survey_id=survey.pk,
        expected_version=survey.version,
        data=QuestionData(kind="text", text="Övrigt?"),
    )
    survey.refresh_from_db()
    survey_services.set_status(
        actor=skotare, survey_id=survey.pk, expected_version=survey.version, status="open"
    )
    field = survey.questions.get().field_name
    survey_services.enter_paper_answers(
        actor=skotare, survey_id=survey.pk, data={field: ["Jag är 19800101-2387, ring mig"]}
    )
    return survey


def test_nothing_a_skotare_reaches_shows_personal_data(login, org, skotare, cases, balder):
    from datetime import date

    services.record_tally(
        actor=skotare, place=balder, data=TallyInput(date(2026, 3, 2), 12, 2, 4, 8, 3, 9)
    )
    survey = _answered_survey(skotare, balder)
    client = login(skotare)
    urls = [
        reverse("home"),
        reverse("notifications"),
        reverse("partners:surveys"),
        reverse("partners:survey", args=[survey.pk]),
        reverse("partners:survey_paper", args=[survey.pk]),
        reverse("partners:survey_results", args=[survey.pk]),
        reverse("partners:places"),
        reverse("partners:place", args=[balder.pk]),
        reverse("partners:tally", args=[balder.pk]) + "?day=2026-03-02",
        reverse("partners:report") + "?year=2026",
        reverse("partners:report_csv") + "?year=2026",
        reverse("partners:report_xlsx") + "?year=2026",
        reverse("api-meeting-place-report", args=[balder.pk]) + "?year=2026",
        # Refusals and bad input they can provoke.
        reverse("partners:report") + "?year=x",
        reverse("api-meeting-place-report", args=[balder.pk]) + "?year=x",
        reverse("cases:detail", args=[cases.a.pk]),
        reverse("cases:list"),
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
        "800101-2387",
        "19750505-4176",
        "19900303-5624",
        "19851212-8730",
        "BK-20",
        *[c.number for c in (cases.a, cases.b, cases.p, cases.g)],
    ]
    for url in urls:
        response = client.get(url)
        text = _texts(response)
        leaked = [s for s in secrets if s in text]
        assert not leaked, (url, leaked)
    assert client.get(urls[3]).status_code == 200
