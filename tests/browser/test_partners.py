"""A skötare tallies a day on a phone: sign in, open their place, fill in the counts,
save; the pages pass axe and the form fits the phone's width."""

from datetime import date, timedelta

import pytest

from partners import services
from partners.models import DailyTally, Partner
from partners.services import PartnerData
from tests.browser.conftest import assert_accessible, follow
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_skotare_tallies_a_day_on_a_phone(page, org, signed_in):
    coordinator, skotare = org.users["coordinator"], org.users["skotare"]
    partner = services.create_partner(
        actor=coordinator,
        district=org.district,
        data=PartnerData(name="Träfflokalen Balder", kind=Partner.Kind.MEETING_PLACE),
    )
    place = partner.meeting_place
    services.assign_staff(actor=coordinator, place_id=place.pk, user=skotare)
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in("skotare", DEMO_PASSWORD)
    follow(page, page.get_by_role("link", name="Mötesplatser").first)
    follow(page, page.get_by_role("link", name="Träfflokalen Balder"))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Räkna i dag"))
    # Every count is labelled (axe below), and opens the numeric keypad.
    assert page.get_by_label("Varav första besöket i år").get_attribute("inputmode") == "numeric"
    yesterday = date.today() - timedelta(days=1)
    page.locator("#id_day").fill(yesterday.isoformat())
    page.locator("#id_visits").fill("16")
    page.locator("#id_new_visitors").fill("1")
    page.locator("#id_women").fill("5")
    page.locator("#id_men").fill("10")
    page.locator("#id_from_other_district").fill("11")
    page.locator("#id_meals").fill("12")
    # The whole form fits a phone's width: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    follow(page, page.get_by_role("button", name="Spara"))
    tally = DailyTally.objects.get(place=place, day=yesterday)
    assert (tally.visits, tally.women, tally.gender_other_or_unknown) == (16, 5, 1)
    assert (tally.from_other_district, tally.residence_unknown, tally.meals) == (11, 5, 12)
    assert "Dagens räkning sparades" in page.content()


def test_a_guest_answers_a_survey_on_a_small_phone(page, live_server, org):
    """No login: the code's link opens the questions; the page fits 320 px and passes axe;
    the answer is saved once and the code cannot answer again."""
    from partners import survey_services
    from partners.models import SurveyResponse
    from partners.survey_services import QuestionData, SurveyData

    coordinator = org.users["coordinator"]
    partner = services.create_partner(
        actor=coordinator,
        district=org.district,
        data=PartnerData(name="Träfflokalen Vistet", kind=Partner.Kind.MEETING_PLACE),
    )
    survey = survey_services.create_survey(
        actor=coordinator,
        data=SurveyData(title="Gästenkät", introduction="Vad tycker du om Vistet?"),
        place=partner.meeting_place,
    )
    for data in (
        QuestionData(kind="single", text="Kommer du varje vecka?", options=["Ja", "Nej"]),
        QuestionData(kind="multiple", text="Varför kommer du?", options=["Frukost", "Grupper"]),
        QuestionData(kind="scale", text="Hur nöjd är du?"),
        QuestionData(kind="number", text="Hur många år har du kommit hit?"),
        QuestionData(kind="text", text="Något mer du vill säga om verksamheten?"),
    ):
        survey.refresh_from_db()
        survey_services.add_question(
            actor=coordinator, survey_id=survey.pk, expected_version=survey.version, data=data
        )
    survey.refresh_from_db()
    survey_services.set_status(
        actor=coordinator, survey_id=survey.pk, expected_version=survey.version, status="open"
    )
    [code] = survey_services.issue_codes(actor=coordinator, survey_id=survey.pk, count=1)
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}/enkat/{code}/")
    assert "Kommer du varje vecka?" in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    assert_accessible(page)
    page.get_by_label("Ja").check()
    page.get_by_label("Grupper").check()
    page.get_by_label("4").check()
    page.get_by_label("Hur många år har du kommit hit?").fill("3")
    page.get_by_label("Något mer du vill säga om verksamheten?").fill("Bra! Ring 070-123 45 67")
    follow(page, page.locator("form.survey button[type=submit]"))
    assert SurveyResponse.objects.filter(survey=survey).count() == 1
    assert_accessible(page)
    page.goto(f"{live_server.url}/enkat/{code}/")
    assert "Kommer du varje vecka?" not in page.content()
    assert_accessible(page)


def test_a_skotare_hands_out_codes_and_reads_results(page, org, signed_in):
    """The owners' survey pages pass axe: the survey, its codes with QR codes, the results."""
    from partners import survey_services
    from partners.demo import vistet_survey

    coordinator, skotare = org.users["coordinator"], org.users["skotare"]
    partner = services.create_partner(
        actor=coordinator,
        district=org.district,
        data=PartnerData(name="Träfflokalen Vistet", kind=Partner.Kind.MEETING_PLACE),
    )
    services.assign_staff(actor=coordinator, place_id=partner.meeting_place.pk, user=skotare)
    survey = vistet_survey(actor=coordinator, place=partner.meeting_place)
    assert survey_services.survey_for_code("NOSUCHCODE") is None
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in("skotare", DEMO_PASSWORD)
    follow(page, page.get_by_role("link", name="Enkäter").first)
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Gästenkät Vistet"))
    assert_accessible(page)
    follow(page, page.get_by_role("link", name="Dela ut koder (länk och QR-kod)"))
    page.locator("#id_count").fill("2")
    follow(page, page.locator("main form button[type=submit]"))
    assert page.locator("svg.segno").count() == 2
    assert_accessible(page)
    page.goto(f"/partners/surveys/{survey.pk}/results/")
    assert "80 %" in page.content() and "16 %" in page.content()
    assert_accessible(page)
