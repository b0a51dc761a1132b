"""The workflow and housing figures against fixtures with known answers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bokvar.models import Unit
from cases.models import EvictionThreat, Landlord, LandlordSignal
from housing.models import Shelter, ShelterNight
from steering import stats
from steering.periods import parse_period, ytd

pytestmark = pytest.mark.django_db


def _figure(report, key):
    return next(f for f in report["figures"] if f["key"] == key)


def _total(report, key):
    return [c["value"] for c in _figure(report, key)["total"]["cells"]]


def build_workflow(org, make_case):
    """Adult unit, March 2026: 6 rent-arrears signals with first contact after 1..6 days,
    2 disturbance signals without contact; 3 threats: one recovered by payment, one
    evicted (household with 2 children), one still at termination."""
    landlord = Landlord.objects.create(
        kind="housing_company", organisation_name="Bolaget", name_bidx="x"
    )
    cases = [
        make_case(
            unit_kind=Unit.Kind.ADULT,
            children=[2016, 2019] if n == 1 else [],
            opened_on=date(2026, 2, 1),
        )
        for n in range(3)
    ]
    for n in range(8):
        LandlordSignal.objects.create(
            landlord=landlord,
            kind="rent_arrears" if n < 6 else "disturbance",
            channel="email",
            received_on=date(2026, 3, 1 + n),
            status="linked",
            case=cases[n % 3],
            first_contact_days=n + 1 if n < 6 else None,
        )
    EvictionThreat.objects.create(
        case=cases[0],
        arrears_notice_on=date(2026, 3, 2),
        termination_served_on=date(2026, 3, 5),
        paid_on=date(2026, 3, 20),
        outcome="recovered_by_payment",
        concluded_on=date(2026, 3, 20),
    )
    EvictionThreat.objects.create(
        case=cases[1],
        arrears_notice_on=date(2026, 1, 10),
        termination_served_on=date(2026, 2, 1),
        eviction_on=date(2026, 3, 25),
        outcome="evicted",
        concluded_on=date(2026, 3, 25),
    )
    EvictionThreat.objects.create(case=cases[2], termination_served_on=date(2026, 3, 3))
    return cases


@pytest.fixture
def workflow(org, make_case):
    """The rows of `build_workflow`."""
    return build_workflow(org, make_case)


def test_workflow_figures(org, workflow):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    kinds = [c["key"] for c in _figure(report, "signals_by_kind")["columns"]]
    signals = dict(zip(kinds, _total(report, "signals_by_kind"), strict=True))
    assert signals["rent_arrears"] == 6 and signals["disturbance"] == 2 and signals["total"] == 8
    assert _total(report, "days_to_first_contact") == [3.5, 6]  # median of 1..6
    assert _total(report, "new_threats") == [2]  # the January one began earlier
    outcomes = [c["key"] for c in _figure(report, "threat_outcomes")["columns"]]
    concluded = dict(zip(outcomes, _total(report, "threat_outcomes"), strict=True))
    assert (
        concluded["recovered_by_payment"] == 1
        and concluded["evicted"] == 1
        and concluded["total"] == 2
    )
    assert _total(report, "children_in_evictions") == [1, 2]
    assert _total(report, "children_under_threat") == [1, 2]


def test_a_median_over_few_values_is_hidden_with_its_count(org, workflow):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=7)
    cells = _figure(report, "days_to_first_contact")["total"]["cells"]
    assert [c["value"] for c in cells] == [None, None]
    assert cells[1]["display"] == "<7"
    shown = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=6)
    assert _total(shown, "days_to_first_contact") == [3.5, 6]


def test_the_seeds_shelter_night_comparison(org, make_case):
    """938 nights January–September 2009 against 811 the same months of 2010: −13.5 %."""
    shelter = Shelter.objects.create(name="Härbärget", district=org.district)
    unit = org.units[Unit.Kind.ADULT]
    people = [make_case(unit_kind=Unit.Kind.ADULT).household.head for _ in range(4)]
    rows = []
    for year, count in ((2009, 938), (2010, 811)):
        for n in range(count):
            night = date.fromordinal(date(year, 1, 1).toordinal() + n // 4)
            rows.append(
                ShelterNight(
                    person=people[n % 4],
                    shelter=shelter,
                    night=night,
                    cost=Decimal(300),
                    paying_unit=unit,
                )
            )
    ShelterNight.objects.bulk_create(rows)
    report = stats.build_report(district=org.district, period=ytd(2010, 9), limit=1)
    nights = _figure(report, "shelter_nights")["comparison"][0]
    assert nights["current"]["value"] == 811 and nights["year_earlier"]["value"] == 938
    assert float(nights["year_change"]) == pytest.approx(-13.5)
    cost = _figure(report, "shelter_cost")["comparison"][0]
    assert cost["current"]["value"] == 811 * 300


def test_domain_figures_cost_a_constant_number_of_queries(org, workflow, make_case):
    with CaptureQueriesContext(connection) as small:
        stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    for _ in range(5):
        make_case(unit_kind=Unit.Kind.INCOME_SUPPORT)
    with CaptureQueriesContext(connection) as large:
        stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    assert len(large) == len(small)
    assert not any(
        "given_name" in q["sql"] or 'personal_number"' in q["sql"] for q in large.captured_queries
    )


def test_handover_figures(org, make_case):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from cases.handovers.services.deciding import accept_handover
    from cases.handovers.services.sending import send_handover

    tz = timezone.get_current_timezone()
    coordinator, caseworker2 = org.users["coordinator"], org.users["caseworker2"]
    sent = datetime(2026, 3, 2, 9, 0, tzinfo=tz)
    for n in range(6):
        case = make_case(unit_kind=Unit.Kind.ADULT)
        handover, _ = send_handover(
            actor=coordinator,
            case_id=case.pk,
            kind="transfer",
            to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
            reason="Behöver försörjningsstöd",
            now=sent,
        )
        if n < 5:  # acknowledged after 2, 4, 6, 8, 10 hours
            accept_handover(
                actor=caseworker2, handover_id=handover.pk, now=sent + timedelta(hours=2 * (n + 1))
            )
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    pairs = _figure(report, "handovers_between_units")
    adult = next(r for r in pairs["rows"] if r["label"] == org.units[Unit.Kind.ADULT].name)
    kinds = [c["key"] for c in pairs["columns"]]
    assert adult["cells"][kinds.index("income_support")]["value"] == 6
    by_pair = _figure(report, "handovers_by_pair")
    adult_name = org.units[Unit.Kind.ADULT].name
    assert [r["pair"] for r in by_pair["rows"]] == [[adult_name, "Income support"]]
    assert [c["value"] for c in by_pair["rows"][0]["cells"]] == [6, 6.0]
    assert _total(report, "handovers_by_pair") == [6, 6.0]


def _send(org, make_case, *, to_kind, from_kind, hours, sent):
    from datetime import timedelta

    from cases.handovers.services.deciding import accept_handover
    from cases.handovers.services.sending import send_handover

    case = make_case(unit_kind=from_kind)
    handover, _ = send_handover(
        actor=org.users["coordinator"],
        case_id=case.pk,
        kind="consultation",
        to_unit=org.units[to_kind],
        reason="Samråd",
        now=sent,
    )
    if hours is not None:
        receiver = {Unit.Kind.INCOME_SUPPORT: "caseworker2", Unit.Kind.ADULT: "caseworker"}
        accept_handover(
            actor=org.users[receiver[to_kind]],
            handover_id=handover.pk,
            now=sent + timedelta(hours=hours),
        )


def test_handovers_per_pair_of_units_count_and_median(org, make_case):
    """Adult unit → income support: 6 sent, acknowledged after 1, 3, 5, 7, 9 hours (one
    pending): median 5. Income support → adult unit: 2 sent, after 4 and 8 hours.
    Both directions are their own pair."""
    from datetime import datetime

    from django.utils import timezone

    sent = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.get_current_timezone())
    for hours in (1, 3, 5, 7, 9, None):
        _send(
            org,
            make_case,
            from_kind=Unit.Kind.ADULT,
            to_kind=Unit.Kind.INCOME_SUPPORT,
            hours=hours,
            sent=sent,
        )
    for hours in (4, 8):
        _send(
            org,
            make_case,
            from_kind=Unit.Kind.INCOME_SUPPORT,
            to_kind=Unit.Kind.ADULT,
            hours=hours,
            sent=sent,
        )
    names = {kind: org.units[kind].name for kind in Unit.Kind.values if kind in org.units}
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    figure = _figure(report, "handovers_by_pair")
    rows = {tuple(r["pair"]): [c["value"] for c in r["cells"]] for r in figure["rows"]}
    assert rows == {
        (names[Unit.Kind.ADULT], "Income support"): [6, 5.0],
        (names[Unit.Kind.INCOME_SUPPORT], "Adult unit"): [2, 6.0],
    }
    assert _total(report, "handovers_by_pair") == [8, 5.0]  # median of 1,3,4,5,7,8,9

    # Suppressed: the pair of 2 is "<5" with its median hidden, and the count matches the
    # pair's cell in the table of handovers between units (one suppression for both).
    hidden = stats.build_report(district=org.district, period=parse_period("2026-03"))
    figure = _figure(hidden, "handovers_by_pair")
    rows = {tuple(r["pair"]): r["cells"] for r in figure["rows"]}
    small = rows[(names[Unit.Kind.INCOME_SUPPORT], "Adult unit")]
    assert small[0]["display"] == "<5" and small[1]["value"] is None
    matrix = _figure(hidden, "handovers_between_units")
    kinds = [c["key"] for c in matrix["columns"]]
    adult = next(r for r in matrix["rows"] if r["label"] == names[Unit.Kind.ADULT])
    big = rows[(names[Unit.Kind.ADULT], "Income support")]
    assert big[0] == adult["cells"][kinds.index("income_support")]
    assert big[1]["value"] in (5.0, None)
    if big[0]["value"] is not None:
        assert big[1]["value"] == 5.0
    # A median over fewer acknowledged handovers than the threshold is hidden.
    strict = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=6)
    cells = {tuple(r["pair"]): r["cells"] for r in _figure(strict, "handovers_by_pair")["rows"]}
    assert cells[(names[Unit.Kind.ADULT], "Income support")][1]["value"] is None


def test_pairs_are_shown_and_exported_with_translated_labels(client, org, make_case):
    from datetime import datetime

    from django.utils import timezone, translation

    from steering import exports

    sent = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.get_current_timezone())
    for hours in (1, 2, 3, 4, 5):
        _send(
            org,
            make_case,
            from_kind=Unit.Kind.ADULT,
            to_kind=Unit.Kind.INCOME_SUPPORT,
            hours=hours,
            sent=sent,
        )
    report = stats.build_report(district=org.district, period=parse_period("2026-03"))
    adult = org.units[Unit.Kind.ADULT].name
    with translation.override("en"):
        lines = [r for r in exports.rows(report) if r[0].startswith("Handovers per pair")]
    assert any(r[1] == f"{adult} → Income support" for r in lines)
    client.force_login(org.users["steering"])
    html = client.get("/steering/statistics/", {"period": "2026-03"}).content.decode()
    assert f"{adult} →" in html
    client.force_login(org.users["caseworker"])
    assert client.get("/steering/statistics/", {"period": "2026-03"}).status_code in (403, 404)


@pytest.fixture
def forecast_cases(org, make_case):
    """Costs of 2026 up to the end of March: six adult-unit cases opened on 1 January with
    900 SEK each, one housing-team case opened on 2 March with 180 SEK, and one adult-unit
    case closed on 15 March with 500 SEK (it costs nothing more)."""
    from cases.models import Case
    from housing import services as housing_services
    from housing.models import CostCategory

    coordinator = org.users["coordinator"]
    category = CostCategory.objects.create(name="Hemtjänst")

    def case_with_cost(unit_kind, opened_on, amount):
        case = make_case(unit_kind=unit_kind, opened_on=opened_on)
        housing_services.add_cost_item(
            actor=coordinator,
            case_id=case.pk,
            category=category,
            on=date(2026, 3, 10),
            amount=Decimal(amount),
        )
        return case

    for _ in range(6):
        case_with_cost(Unit.Kind.ADULT, date(2026, 1, 1), 900)
    case_with_cost(Unit.Kind.HOUSING_TEAM, date(2026, 3, 2), 180)
    closed = case_with_cost(Unit.Kind.ADULT, date(2026, 1, 1), 500)
    Case.objects.filter(pk=closed.pk).update(
        status=Case.Status.CLOSED, outcome=Case.Outcome.OTHER, closed_on=date(2026, 3, 15)
    )


def _unit_cell(report, key, unit):
    return next(r for r in _figure(report, key)["rows"] if r["label"] == unit.name)["cells"][0]


def test_cost_forecast_for_the_year_of_the_period(org, forecast_cases):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    # 1 January to 31 March 2026 is 31 + 28 + 31 = 90 days of the year's 365:
    # 900 SEK so far -> 900 * 365 / 90 = 3,650 SEK for the year, six times over.
    adult_per_case = 900 * 365 / 90
    # The closed case stays at its 500 SEK.
    adult = _unit_cell(report, "cost_forecast", org.units[Unit.Kind.ADULT])
    assert adult["value"] == round(6 * adult_per_case + 500) == 22400
    assert adult["people"] == 7
    # Opened on 2 March: 30 days elapsed of the 305 from 2 March to 31 December.
    team = _unit_cell(report, "cost_forecast", org.units[Unit.Kind.HOUSING_TEAM])
    assert team["value"] == round(180 * 305 / 30) == 1830
    assert team["people"] == 1
    assert _total(report, "cost_forecast") == [22400 + 1830]
    # Nothing was spent a year earlier.
    comparison = _figure(report, "cost_forecast")["comparison"][0]
    assert comparison["year_earlier"]["value"] == 0


def test_cost_forecast_over_few_households_is_suppressed(org, forecast_cases):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"))
    figure = _figure(report, "cost_forecast")
    assert figure["kind"] == "money"
    team = _unit_cell(report, "cost_forecast", org.units[Unit.Kind.HOUSING_TEAM])
    # One household behind the sum: hidden, with its people count.
    assert team == {"value": None, "display": "–", "hidden": "primary", "people": None}
    # The district total minus the adult unit would give it away: one of them is hidden too.
    adult = _unit_cell(report, "cost_forecast", org.units[Unit.Kind.ADULT])
    total = figure["total"]["cells"][0]
    assert adult["value"] is None or total["value"] is None


def test_signals_with_no_district_are_counted_in_a_row_of_their_own(org, workflow):
    """The 3 + 1 signals of March not linked to a case and with no district are counted
    below the district total, for the whole municipality; the district's rows and total
    stay the 8 linked signals."""
    landlord = Landlord.objects.create(
        kind="housing_company", organisation_name="Andra bolaget", name_bidx="y"
    )
    for n, (kind, status) in enumerate(
        [("rent_arrears", "untriaged")] * 3 + [("disturbance", "dismissed")]
    ):
        LandlordSignal.objects.create(
            landlord=landlord,
            kind=kind,
            channel="letter",
            received_on=date(2026, 3, 10 + n),
            status=status,
        )
    LandlordSignal.objects.create(  # another month: not counted
        landlord=landlord, kind="other", channel="letter", received_on=date(2026, 4, 1)
    )
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    figure = _figure(report, "signals_by_kind")
    kinds = [c["key"] for c in figure["columns"]]
    unassigned = dict(zip(kinds, [c["value"] for c in figure["unassigned"]["cells"]], strict=True))
    assert unassigned["rent_arrears"] == 3 and unassigned["disturbance"] == 1
    assert unassigned["other"] == 0 and unassigned["total"] == 4
    assert figure["unassigned"]["label"].startswith("Not yet assigned to a district")
    assert dict(zip(kinds, _total(report, "signals_by_kind"), strict=True))["total"] == 8
    # Other figures have no such row.
    assert "unassigned" not in _figure(report, "new_threats")

    # Suppressed like any row: all four are small counts.
    hidden = stats.build_report(district=org.district, period=parse_period("2026-03"))
    cells = _figure(hidden, "signals_by_kind")["unassigned"]["cells"]
    by_kind = dict(zip(kinds, cells, strict=True))
    assert by_kind["rent_arrears"]["display"] == "<5" and by_kind["total"]["display"] == "<5"
    assert all(c["value"] in (None, 0) for c in cells)


def test_unlinked_signals_of_the_district_are_a_row_of_the_district(org, workflow):
    """Unlinked signals that have a district count in that district's row "not yet
    assigned to a unit", inside the district total; another district's do not count, and
    the municipality row keeps only the signals with no district."""
    from bokvar.models import District

    landlord = Landlord.objects.create(
        kind="housing_company", organisation_name="Fjärde bolaget", name_bidx="w"
    )
    other = District.objects.create(name="Annat distrikt")
    for n, (kind, district) in enumerate(
        [("rent_arrears", org.district)] * 2
        + [("disturbance", org.district), ("rent_arrears", other), ("other", None)]
    ):
        LandlordSignal.objects.create(
            landlord=landlord,
            kind=kind,
            channel="letter",
            received_on=date(2026, 3, 10 + n),
            district=district,
        )
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    figure = _figure(report, "signals_by_kind")
    kinds = [c["key"] for c in figure["columns"]]
    row = figure["rows"][-1]
    assert row["label"] == "Not yet assigned to a unit" and row["unassigned"] is True
    assert all("unassigned" not in r for r in figure["rows"][:-1])
    assert len(figure["rows"]) == len(stats.district_units(org.district)) + 1
    counts = dict(zip(kinds, [c["value"] for c in row["cells"]], strict=True))
    assert counts["rent_arrears"] == 2 and counts["disturbance"] == 1 and counts["total"] == 3
    total = dict(zip(kinds, _total(report, "signals_by_kind"), strict=True))
    assert total["total"] == 8 + 3 and total["rent_arrears"] == 6 + 2
    municipality = dict(
        zip(kinds, [c["value"] for c in figure["unassigned"]["cells"]], strict=True)
    )
    assert municipality["other"] == 1 and municipality["total"] == 1
    # Suppressed with the table: 2 and 1 are small counts.
    hidden = _figure(
        stats.build_report(district=org.district, period=parse_period("2026-03")),
        "signals_by_kind",
    )
    cells = dict(zip(kinds, hidden["rows"][-1]["cells"], strict=True))
    assert cells["rent_arrears"]["display"] == "<5" and cells["rent_arrears"]["value"] is None
    # Other figures have no such row.
    assert all("unassigned" not in r for r in _figure(report, "new_threats")["rows"])


def test_the_unassigned_row_is_shown_and_exported(client, org, workflow):
    from django.utils import translation

    from steering import exports

    LandlordSignal.objects.create(
        landlord=Landlord.objects.create(
            kind="housing_company", organisation_name="Tredje bolaget", name_bidx="z"
        ),
        kind="rent_arrears",
        channel="letter",
        received_on=date(2026, 3, 10),
    )
    LandlordSignal.objects.create(
        landlord=Landlord.objects.get(organisation_name="Tredje bolaget"),
        kind="other",
        channel="letter",
        received_on=date(2026, 3, 11),
        district=org.district,
    )
    report = stats.build_report(district=org.district, period=parse_period("2026-03"))
    with translation.override("en"):
        lines = [r for r in exports.rows(report) if r[1].startswith("Not yet assigned")]
    assert lines and all(r[0] == "Landlord signals by kind" for r in lines)
    assert {r[1] for r in lines} == {
        "Not yet assigned to a unit",
        "Not yet assigned to a district (whole municipality)",
    }
    client.force_login(org.users["steering"])
    html = client.get("/steering/statistics/", {"period": "2026-03"}).content.decode()
    assert 'class="unassigned"' in html


def build_housing_placements(org, make_case):
    """Placements around March 2026 (one flat each; adult unit unless said otherwise):

    training: T1 from 10 Jan, current; T2 from 20 Mar, current; T3 1 Jun 2025 – 28 Feb
    (moved on); T4 1 Sep 2025 – 1 Mar (moved on).
    trial: R1 from 1 Apr (not yet); R2 1 Oct 2025 – 15 Mar, taken over 15 Mar; R3 1 May
    2025 – 10 Feb, taken over 10 Feb; R4 (housing team) 1 Feb – 31 Mar, taken over 31 Mar.
    boarding home: B1 from 1 Mar, current (not a training or trial flat).
    """
    from housing.models import Apartment, Placement

    kinds = Apartment.Kind
    plan = [
        ("T1", kinds.TRAINING, Unit.Kind.ADULT, date(2026, 1, 10), None, ""),
        ("T2", kinds.TRAINING, Unit.Kind.ADULT, date(2026, 3, 20), None, ""),
        ("T3", kinds.TRAINING, Unit.Kind.ADULT, date(2025, 6, 1), date(2026, 2, 28), "moved_on"),
        ("T4", kinds.TRAINING, Unit.Kind.ADULT, date(2025, 9, 1), date(2026, 3, 1), "moved_on"),
        ("R1", kinds.TRIAL, Unit.Kind.ADULT, date(2026, 4, 1), None, ""),
        ("R2", kinds.TRIAL, Unit.Kind.ADULT, date(2025, 10, 1), date(2026, 3, 15), "takeover"),
        ("R3", kinds.TRIAL, Unit.Kind.ADULT, date(2025, 5, 1), date(2026, 2, 10), "takeover"),
        (
            "R4",
            kinds.TRIAL,
            Unit.Kind.HOUSING_TEAM,
            date(2026, 2, 1),
            date(2026, 3, 31),
            "takeover",
        ),
        ("B1", kinds.BOARDING_HOME, Unit.Kind.ADULT, date(2026, 3, 1), None, ""),
    ]
    for reference, kind, unit_kind, start, end, outcome in plan:
        apartment = Apartment.objects.create(
            district=org.district,
            kind=kind,
            reference=reference,
            rent=Decimal(5000),
            status_since=date(2025, 1, 1),
        )
        case = make_case(unit_kind=unit_kind, opened_on=date(2025, 1, 1))
        Placement.objects.create(
            apartment=apartment,
            case=case,
            household=case.household,
            start_on=start,
            end_on=end,
            outcome=outcome,
            takeover_on=end if outcome == "takeover" else None,
        )


@pytest.fixture
def housing_placements(org, make_case):
    """The rows of `build_housing_placements`."""
    build_housing_placements(org, make_case)


def _unit_values(report, key, unit):
    row = next(r for r in _figure(report, key)["rows"] if r["label"] == unit.name)
    return [c["value"] for c in row["cells"]]


def test_placements_in_training_and_trial_apartments(org, housing_placements):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    assert [c["key"] for c in _figure(report, "placements")["columns"]] == [
        "training",
        "trial",
        "total",
    ]
    # Current at some time in March. Adult: T1, T2, T4 (left on 1 March) and R2; not T3
    # (left in February), R1 (moves in in April) or B1 (a boarding home). Team: R4.
    assert _unit_values(report, "placements", org.units[Unit.Kind.ADULT]) == [3, 1, 4]
    assert _unit_values(report, "placements", org.units[Unit.Kind.HOUSING_TEAM]) == [0, 1, 1]
    assert _total(report, "placements") == [3, 2, 5]
    # February: T1, T3, T4 training; R2, R3, R4 trial.
    comparison = _figure(report, "placements")["comparison"]
    assert [row["previous"]["value"] for row in comparison] == [3, 3, 6]
    assert [row["year_earlier"]["value"] for row in comparison] == [0, 0, 0]  # none in March 2025


def test_contract_takeovers(org, housing_placements):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"), limit=1)
    # Taken over in March: R2 (adult) and R4 (housing team); R3 was in February.
    assert _unit_values(report, "takeovers", org.units[Unit.Kind.ADULT]) == [1]
    assert _unit_values(report, "takeovers", org.units[Unit.Kind.HOUSING_TEAM]) == [1]
    assert _total(report, "takeovers") == [2]
    comparison = _figure(report, "takeovers")["comparison"][0]
    assert comparison["previous"]["value"] == 1
    # The whole first quarter: R2, R3 and R4.
    quarter = stats.build_report(district=org.district, period=parse_period("2026-Q1"), limit=1)
    assert _total(quarter, "takeovers") == [3]
    # Published with the default threshold, two takeovers are hidden.
    hidden = stats.build_report(district=org.district, period=parse_period("2026-03"))
    assert [c["display"] for c in _figure(hidden, "takeovers")["total"]["cells"]] == ["<5"]
