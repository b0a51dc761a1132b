"""The framework floor (issue 22, point 2): a bare view that fetches a page's rows with
its hand-written query and renders them in a bare template, reached through the same
middleware and sign-in as the page, and mounted in the benchmark's process only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from bench import floors
from bench.runner import Scenario, measure
from bokvar.models import Unit

pytestmark = pytest.mark.django_db


def test_the_bare_view_is_never_among_the_products_addresses():
    with pytest.raises(Resolver404):
        resolve(f"{floors.PREFIX}0/", urlconf="bokvar.urls")
    assert resolve(f"{floors.PREFIX}0/", urlconf=floors.URLCONF).func is floors.bare_view


def test_the_floor_renders_the_querys_rows_through_the_middleware(client, settings, org):
    settings.ROOT_URLCONF = floors.URLCONF
    client.force_login(org.users["caseworker"])
    run = floors.request(
        client, "SELECT name FROM bokvar_unit WHERE id = %s", [org.units[Unit.Kind.ADULT].pk]
    )
    with CaptureQueriesContext(connection) as ctx:
        response = run()
    body = response.content.decode()
    assert org.units[Unit.Kind.ADULT].name in body
    # No base layout: no navigation, no badges.
    assert "main-nav" not in body
    # The middleware's own reads (session, user, second factor) are part of the floor.
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "django_session" in sql and "otp_static_staticdevice" in sql
    # Headers of the same middleware stack as every page.
    assert response["Cache-Control"] == "no-store"


def test_the_floor_refuses_a_reader_who_is_not_signed_in(client, settings):
    settings.ROOT_URLCONF = floors.URLCONF
    run = floors.request(client, "SELECT 1")
    with pytest.raises(RuntimeError, match="404"):
        run()


def test_a_search_floor_posts_and_follows_the_redirect(client, settings, org):
    settings.ROOT_URLCONF = floors.URLCONF
    client.force_login(org.users["caseworker"])
    response = floors.request(client, "SELECT 42", post=True)()
    assert response.redirect_chain and "<td>42</td>" in response.content.decode()


def test_runner_reports_the_ratio_and_whether_a_page_is_near_its_floor(client, settings, org):
    settings.ROOT_URLCONF = floors.URLCONF
    client.force_login(org.users["caseworker"])

    def page():
        assert client.get("/cases/").status_code == 200

    result = measure(
        Scenario(
            "case list",
            page,
            floor_sql="SELECT 1",
            budget_ms=1000,
            framework_floor=floors.request(client, "SELECT 1"),
        ),
        repeat=3,
        warmup=1,
    )
    assert result.framework_floor_ms > 0
    # The runner divides the unrounded times and rounds the ratio to 0.1; the result shows
    # the times rounded to 0.01 ms. So the ratio of the shown times may differ by the
    # ratio's rounding (0.05) plus what the times' rounding (0.005 ms each) moves it,
    # which on a floor of a millisecond or two is several hundredths (a fixed 0.06 failed
    # once: 11.8 reported against 11.86 from the rounded times).
    shown = result.median_ms / result.framework_floor_ms
    moved = shown * (0.005 / result.median_ms + 0.005 / result.framework_floor_ms)
    assert result.ratio_to_framework_floor == pytest.approx(shown, abs=0.05 + moved + 1e-9)
    assert result.queries_per_request == result.queries  # one request
    assert result.near_floor == (
        result.queries <= floors.MAX_QUERIES and result.ratio_to_framework_floor <= floors.MAX_RATIO
    )


def test_queries_are_counted_per_request_too(client, settings, org):
    settings.ROOT_URLCONF = floors.URLCONF
    client.force_login(org.users["caseworker"])
    one = floors.request(client, "SELECT 1")

    def two_requests():
        one()
        one()

    result = measure(Scenario("two", two_requests), repeat=1, warmup=0)
    assert result.queries_per_request * 2 == result.queries


# The case page's lists (`cases.case_page.ROWS`) and the kind of row the case page's floor
# reads for each: the floor reads every row the page shows, each once.
_CASE_PAGE_KINDS = {
    "members": "person",
    "children": "child",
    "assignments": "assignment",
    "threats": "threat",
    "deadlines": "deadline",
    "signals": "signal",
    "payment_routes": "payment route",
    "contacts": "contact",
    "interventions": "intervention",
    "handovers": "handover",
    "changes_case": "change of the case",
    "changes_household": "change of the household",
    "changes_people": "change of a person",
    "changes_children": "change of a child",
    "changes_assignments": "change of an assignment",
    "placements": "placement",
    "cost_items": "cost",
    "nights": "night",
    "chain_nights": "night",
    "referrals": "referral",
    # Read, never shown: each night's case and placement (housing.forecast.own_nights).
    "household_cases": "household case",
    "household_placements": "household placement",
}


def test_the_case_pages_floor_reads_every_row_its_lists_show(org, make_case):
    """Until the twenty-first round the case page's floor read the case and its people
    (1 to 3 rows) while the page reads a dozen lists (44 rows for the bench's case at
    national scale, 36 of them shelter nights, which the page reads twice).
    Its floor now reads, for every list of the case's rows the page shows, at least the
    rows the page reads of it."""
    from collections import Counter

    from bench.scenarios import CASE_PAGE_FLOOR, case_page_floor_params
    from cases import case_page
    from tests.cases.core.test_queries import _case_with_history

    case = _case_with_history(org, make_case, 2, "Golv")

    class Request:
        user = org.users["caseworker"]

    with connection.cursor() as cursor:
        cursor.execute(CASE_PAGE_FLOOR, case_page_floor_params(case.pk))
        kinds = Counter(row[0] for row in cursor.fetchall())
    assert kinds["case"] == 1
    read = 0
    for rows in case_page.ROWS:
        if rows.key in ("requesting_units", "housing_memberships"):
            continue  # the reader's and other units' rows, not the case's
        shown = len(rows.read(Request(), case))
        assert kinds[_CASE_PAGE_KINDS[rows.key]] >= shown, (rows.key, shown, kinds)
        read += shown
    # The case has rows in most lists: the comparison is not of empty lists.
    assert read > 30, read


def test_the_nights_forms_floor_reads_every_choice_the_form_lists(client, settings, org, cases):
    """The nights form lists the household's members, every active shelter and the
    district's active units; its floor reads each of them (until the twenty-first round,
    the members alone)."""
    from collections import Counter

    from bench.scenarios import NIGHTS_FORM_FLOOR
    from housing.models import Shelter

    Shelter.objects.create(name="Nattugglan", district=org.district)
    Shelter.objects.create(name="Stängt", district=org.district, is_active=False)
    client.force_login(org.users["caseworker"])
    page = client.get(f"/housing/cases/{cases.a.pk}/nights/new/").content.decode()
    with connection.cursor() as cursor:
        cursor.execute(NIGHTS_FORM_FLOOR, [cases.a.pk, cases.a.pk])
        kinds = Counter(row[0] for row in cursor.fetchall())
    shelters = Shelter.objects.filter(is_active=True).count()
    assert shelters >= 1 and kinds["shelter"] == shelters
    assert "Nattugglan" in page and "Stängt" not in page
    units = Unit.objects.filter(district=cases.a.responsible_unit.district, is_active=True)
    assert kinds["unit"] == units.count() >= 1
    assert kinds["person"] == cases.a.household.members.count() >= 1


def test_the_inboxs_floor_reads_both_of_its_lists(org, make_case):
    """The inbox shows the handovers waiting for the reader's unit and those returned to a
    unit whose returned handovers they mark read; its floor reads both (until the
    twenty-first round, the waiting ones alone)."""
    from collections import Counter

    from bench.scenarios import INBOX_FLOOR
    from cases.handovers import selectors
    from cases.handovers.services import deciding
    from tests.cases.handovers.conftest import send

    adult, income = org.units[Unit.Kind.ADULT], org.units[Unit.Kind.INCOME_SUPPORT]
    decider = org.users["caseworker2"]
    # Who marks the adult unit's returned handovers read (its coordinator or lead).
    (acknowledger,) = [
        user for user in org.users.values() if adult.pk in selectors.acknowledging_unit_ids(user)
    ][:1]
    sent = [
        send(make_case(unit_kind=Unit.Kind.ADULT), actor=org.users["caseworker"], to_unit=income)
        for _ in range(3)
    ]
    deciding.return_handover(actor=decider, handover_id=sent[0].pk, reason="Fel enhet")
    # Waiting for the income-support unit; one returned to the adult unit.
    found = {}
    for reader, unit in ((decider, income), (acknowledger, adult)):
        with connection.cursor() as cursor:
            cursor.execute(INBOX_FLOOR, [unit.pk, reader.pk])
            kinds = found[unit.pk] = Counter(row[0] for row in cursor.fetchall())
        waiting = [r for r in selectors.inbox_rows(reader) if r.handover.to_unit_id == unit.pk]
        assert kinds["waiting"] == len(waiting)
        assert kinds["returned"] == len(selectors.returned_to(reader))
    assert found == {income.pk: Counter({"waiting": 2}), adult.pk: Counter({"returned": 1})}
