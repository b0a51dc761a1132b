"""Client surveys (issue 20, point 6): building, anonymous answers with single-use codes,
paper answers, results with the steering statistics' protection, free-text screening,
and who may see what."""

from __future__ import annotations

import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.urls import reverse

from partners import selectors, survey_services
from partners.demo import vistet_survey
from partners.models import Survey, SurveyAnswer, SurveyCode, SurveyResponse
from partners.screening import screen
from partners.survey_results import survey_results
from partners.survey_services import CodeUsed, QuestionData, SurveyData

pytestmark = pytest.mark.django_db


def _survey(actor, *, place=None, unit=None, questions=None) -> Survey:
    survey = survey_services.create_survey(
        actor=actor, data=SurveyData(title="Enkät"), place=place, unit=unit
    )
    for data in questions or [
        QuestionData(kind="single", text="Trivs du?", options=["Ja", "Nej"], required=True),
        QuestionData(kind="text", text="Övrigt?"),
    ]:
        survey.refresh_from_db()
        survey_services.add_question(
            actor=actor, survey_id=survey.pk, expected_version=survey.version, data=data
        )
    survey.refresh_from_db()
    return survey_services.set_status(
        actor=actor, survey_id=survey.pk, expected_version=survey.version, status="open"
    )


@pytest.fixture
def team_survey(org):
    from bokvar.models import Unit

    return _survey(org.users["coordinator"], unit=org.units[Unit.Kind.HOUSING_TEAM])


@pytest.fixture
def place_survey(skotare, balder):
    return _survey(skotare, place=balder)


def _q(survey, position: int) -> str:
    return survey.questions.get(position=position).field_name


# --- Vistet -------------------------------------------------------------------------


def test_the_vistet_survey_gives_its_four_figures_back(org, vistet):
    survey = vistet_survey(actor=org.users["coordinator"], place=vistet)
    result = survey_results(survey, free_text=False)
    assert result.responses.value == 50
    weekly, often, reasons = result.questions[0], result.questions[1], result.questions[2]
    assert weekly.cells[0].label == "Ja" and weekly.cells[0].share == 80
    assert often.cells[1].label == "3–5 gånger i veckan" and often.cells[1].value == 25
    afternoon = reasons.cells[3]
    assert afternoon.label == "Delta i eftermiddagsaktiviteter"
    assert (afternoon.value, afternoon.share) == (8, 16)


def test_vistet_small_counts_are_hidden_with_a_partner(org, vistet):
    """Three guests gave a 2 out of 5: "<5", and one more cell hidden so the three
    cannot be worked out from the total."""
    survey = vistet_survey(actor=org.users["coordinator"], place=vistet)
    scale = survey_results(survey, free_text=False).questions[3]
    shown = {c.label: c.display for c in scale.cells}
    assert shown["2"] == "<5"
    assert shown["1"] == "0"  # zero is shown, as in the steering statistics
    hidden = [c for c in scale.cells if c.value is None]
    assert len(hidden) >= 2 or scale.respondents.value is None
    assert scale.mean is not None and scale.median == 4


def test_free_text_is_screened_before_it_is_stored(org, vistet):
    survey = vistet_survey(actor=org.users["coordinator"], place=vistet)
    texts = [
        a.text for a in SurveyAnswer.objects.filter(question__survey=survey, question__kind="text")
    ]
    assert len(texts) == 3
    assert not any("070" in t for t in texts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM partners_surveyanswer WHERE text <> ''")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all(s.startswith("enc") for s in stored)  # encrypted at rest
    owner_view = survey_results(survey, free_text=True).questions[4]
    assert any(masked for _, masked in owner_view.texts)
    assert survey_results(survey, free_text=False).questions[4].texts == []


@pytest.mark.parametrize(
    "text, kind",
    [
        ("mitt nummer är 19811218-9876", "identity"),
        ("811218-9876", "identity"),
        ("samordningsnr 701063-2391", "identity"),
        ("skriv till kalle.k@example.se", "email"),
        ("ring 070-123 45 67", "phone"),
        ("ring +46 70 123 45 67", "phone"),
        ("08-508 050 94", "phone"),
    ],
)
def test_screening_masks_identifying_details(text, kind):
    screened = screen(text)
    assert kind in screened.found, screened
    assert not re.search(r"\d{4}", screened.text), screened.text


def test_screening_leaves_ordinary_text_and_small_numbers():
    text = "Jag kommer 3 gånger i veckan sedan 2014, och det är 10 av 10."
    assert screen(text).text == text and not screen(text).masked


# --- codes ------------------------------------------------------------------------


def test_a_code_answers_once_and_the_answer_keeps_no_trace_of_it(place_survey, skotare):
    [code] = survey_services.issue_codes(actor=skotare, survey_id=place_survey.pk, count=1)
    row = SurveyCode.objects.get(survey=place_survey)
    assert code not in row.code_hash and re.fullmatch(r"\w+\$[0-9a-f]{32}", row.code_hash)
    data = {_q(place_survey, 1): ["0"]}
    response = survey_services.submit_with_code(code=code, data=data)
    assert response.source == "web"
    with pytest.raises(CodeUsed):
        survey_services.submit_with_code(code=code, data=data)
    assert SurveyResponse.objects.filter(survey=place_survey).count() == 1
    # Nothing on the answer points at the code, nor says when (only the date).
    names = {f.name for f in SurveyResponse._meta.get_fields()}
    assert not names & {"code", "created_at", "submitted_at"}
    assert not {f.name for f in SurveyCode._meta.get_fields()} & {"used_at", "response"}


def test_bad_answers_are_refused_naming_the_question(place_survey, skotare):
    [code] = survey_services.issue_codes(actor=skotare, survey_id=place_survey.pk, count=1)
    field = _q(place_survey, 1)
    for data in ({field: ["7"]}, {field: ["0", "1"]}, {}):
        with pytest.raises(ValidationError) as exc:
            survey_services.submit_with_code(code=code, data=data)
        assert field in exc.value.message_dict
    # The refused tries did not spend the code.
    assert survey_services.submit_with_code(code=code, data={field: ["1"]})


@pytest.mark.django_db(transaction=True)
def test_two_submits_of_one_code_at_once_give_one_answer(org):
    """On PostgreSQL: the second UPDATE waits for the first one's row lock and then
    finds the code used."""
    if connection.vendor != "postgresql":
        pytest.skip("the row lock is PostgreSQL's")
    from tests.partners.conftest import make_place

    place = make_place(org, "Träffpunkt Samtidig")
    coordinator = org.users["coordinator"]
    survey = _survey(coordinator, place=place)
    [code] = survey_services.issue_codes(actor=coordinator, survey_id=survey.pk, count=1)
    data = {_q(survey, 1): ["0"]}
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def submit():
        try:
            barrier.wait()
            survey_services.submit_with_code(code=code, data=data)
            outcomes.append("saved")
        except CodeUsed:
            outcomes.append("used")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["saved", "used", "used", "used"]
    assert SurveyResponse.objects.filter(survey=survey).count() == 1


# --- who may --------------------------------------------------------------------------


def test_owners_and_readers(org, skotare, balder, vistet, place_survey, team_survey):
    coordinator, steering = org.users["coordinator"], org.users["steering"]
    # The skötare owns their place's survey and nothing else.
    assert selectors.get_survey_for_user(skotare, place_survey.pk, action="manage")
    with pytest.raises(Http404):
        selectors.get_survey_for_user(skotare, team_survey.pk)
    # The coordinator owns the team's and (district) the places'.
    assert selectors.get_survey_for_user(coordinator, team_survey.pk, action="manage")
    assert selectors.get_survey_for_user(coordinator, place_survey.pk, action="manage")
    # The steering group reads results, never manages.
    assert selectors.get_survey_for_user(steering, team_survey.pk)
    with pytest.raises(PermissionDenied):
        selectors.get_survey_for_user(steering, team_survey.pk, action="manage")
    for name in ("caseworker", "guide", "auditor", "admin"):
        assert not selectors.surveys_for(org.users[name]).exists(), name
    # A skötare cannot create a survey for another place nor a team.
    with pytest.raises(PermissionDenied):
        survey_services.create_survey(actor=skotare, data=SurveyData(title="x"), place=vistet)


def test_pages_by_role(login, org, skotare, place_survey, team_survey, client):
    urls = [
        reverse(name, args=[place_survey.pk])
        for name in ("partners:survey", "partners:survey_codes", "partners:survey_paper")
    ]
    results = reverse("partners:survey_results", args=[place_survey.pk])
    login(skotare)
    for url in [*urls, results]:
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("partners:survey", args=[team_survey.pk])).status_code == 404
    login(org.users["steering"])
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.get(results).status_code == 200
    for name in ("caseworker", "guide", "auditor", "admin"):
        login(org.users[name])
        assert client.get(results).status_code in {403, 404}, name
        assert client.get(reverse("partners:surveys")).status_code == 403, name


def test_free_text_reaches_the_owners_only(login, org, vistet, client):
    survey = vistet_survey(actor=org.users["coordinator"], place=vistet)
    url = reverse("partners:survey_results", args=[survey.pk])
    login(org.users["coordinator"])
    owner_page = client.get(url).content.decode()
    assert "Frukosten är det bästa." in owner_page and "[…]" in owner_page
    login(org.users["steering"])
    steering_page = client.get(url).content.decode()
    assert "Frukosten" not in steering_page
    assert "80 %" in steering_page and "16 %" in steering_page


def test_building_and_paper_answers_through_the_pages(login, skotare, balder, client):
    login(skotare)
    response = client.post(
        reverse("partners:survey_new"), {"title": "Höstenkät", "owner": f"place-{balder.pk}"}
    )
    survey = Survey.objects.get(title="Höstenkät")
    assert response.status_code == 302
    add = reverse("partners:survey_question_new", args=[survey.pk])
    bad = client.post(
        add,
        {
            "kind": "single",
            "text": "Trivs du?",
            "options": "Ja",
            "version": 1,
            "scale_min": 1,
            "scale_max": 5,
        },
    )
    assert bad.status_code == 400 and "option" in bad.content.decode().lower()
    ok = client.post(
        add,
        {
            "kind": "single",
            "text": "Trivs du?",
            "options": "Ja\nNej",
            "version": 1,
            "scale_min": 1,
            "scale_max": 5,
        },
    )
    assert ok.status_code == 302
    client.post(
        reverse("partners:survey_status", args=[survey.pk]), {"version": 2, "status": "open"}
    )
    survey.refresh_from_db()
    assert survey.status == "open"
    field = _q(survey, 1)
    paper = reverse("partners:survey_paper", args=[survey.pk])
    assert client.post(paper, {field: "9"}).status_code == 400
    assert client.post(paper, {field: "1"}).status_code == 302
    assert SurveyResponse.objects.get(survey=survey).source == "paper"
    codes = client.post(reverse("partners:survey_codes", args=[survey.pk]), {"count": 3})
    body = codes.content.decode()
    assert body.count("<svg") == 3 and "<script" not in body
    assert (
        client.post(reverse("partners:survey_codes", args=[survey.pk]), {"count": 0}).status_code
        == 400
    )


# --- the public page ---------------------------------------------------------------------


def test_the_public_page_needs_no_login_and_answers_once(client, place_survey, skotare):
    [code] = survey_services.issue_codes(actor=skotare, survey_id=place_survey.pk, count=1)
    url = reverse("survey:answer", args=[code])
    page = client.get(url)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert "Trivs du?" in page.content.decode()
    assert "<script" not in page.content.decode()
    assert "content-security-policy" in {k.lower() for k in page.headers}
    field = _q(place_survey, 1)
    refused = client.post(url, {field: "5"})
    assert refused.status_code == 400 and "Trivs du?" in refused.content.decode()
    assert client.post(url, {field: "0", _q(place_survey, 2): "Bra!"}).status_code == 302
    assert client.post(url, {field: "0"}).status_code == 404
    assert client.get(url).status_code == 404


def test_the_code_form(client):
    start = reverse("survey:start")
    assert client.get(start).status_code == 200
    assert client.get(start, {"code": "abc"}).status_code == 400
    redirect = client.get(start, {"code": "abcd-efgh-jk"})
    assert redirect.status_code == 302 and redirect["Location"].endswith("/ABCDEFGHJK/")


def test_guessing_codes_is_throttled(client, settings):
    settings.BOKVAR = {**getattr(settings, "BOKVAR", {}), "SURVEY_CODE_FAILURES_PER_ADDRESS": 3}
    from django.core.cache import cache

    cache.clear()
    for i in range(3):
        assert client.get(reverse("survey:answer", args=[f"WRONGCODE{i}"])).status_code == 404
    blocked = client.get(reverse("survey:answer", args=["WRONGCODE9"]))
    assert blocked.status_code == 429 and blocked["Retry-After"]
    cache.clear()


def test_results_page_queries_do_not_grow(login, org, vistet, balder, client):
    """The same number of queries for 50 answers as for 1 (Vistet against a small one)."""
    from django.test.utils import CaptureQueriesContext

    coordinator = org.users["coordinator"]
    big = vistet_survey(actor=coordinator, place=vistet)
    small = _survey(coordinator, place=balder, questions=survey_services_questions())
    survey_services.enter_paper_answers(
        actor=coordinator, survey_id=small.pk, data={_q(small, 1): ["0"]}
    )
    login(coordinator)
    counts = []
    for survey in (small, big):
        url = reverse("partners:survey_results", args=[survey.pk])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def survey_services_questions():
    from partners.demo import VISTET_QUESTIONS

    return VISTET_QUESTIONS


def test_seed_demo_holds_vistets_answered_survey(demo_seeded):
    survey = Survey.objects.get(title="Gästenkät Vistet")
    assert survey.place.partner.name == "Träfflokalen Vistet"
    assert survey.status == Survey.Status.CLOSED
    result = survey_results(survey, free_text=False)
    assert result.responses.value == 50
    assert result.questions[0].cells[0].share == 80


def test_a_stale_version_is_an_edit_conflict(skotare, balder):
    from bokvar.concurrency import ConflictError

    survey = survey_services.create_survey(
        actor=skotare, data=SurveyData(title="Vår"), place=balder
    )
    data = QuestionData(kind="number", text="Hur många år?")
    survey_services.add_question(
        actor=skotare, survey_id=survey.pk, expected_version=survey.version, data=data
    )
    with pytest.raises(ConflictError):
        survey_services.add_question(
            actor=skotare, survey_id=survey.pk, expected_version=survey.version, data=data
        )
    assert survey.questions.count() == 1


def test_drafts_are_the_owners_and_closed_surveys_take_no_codes(org, skotare, balder):
    draft = survey_services.create_survey(
        actor=skotare, data=SurveyData(title="Utkast"), place=balder
    )
    with pytest.raises(Http404):
        selectors.get_survey_for_user(org.users["steering"], draft.pk)
    survey = _survey(skotare, place=balder)
    [code] = survey_services.issue_codes(actor=skotare, survey_id=survey.pk, count=1)
    survey_services.set_status(
        actor=skotare, survey_id=survey.pk, expected_version=survey.version, status="closed"
    )
    with pytest.raises(CodeUsed):
        survey_services.submit_with_code(code=code, data={_q(survey, 1): ["0"]})
    with pytest.raises(ValidationError) as exc:
        survey_services.issue_codes(actor=skotare, survey_id=survey.pk, count=1)
    assert "count" in exc.value.message_dict
