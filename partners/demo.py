"""Demo partners and meeting places, and the generator of a year of anonymous tallies.

The figures follow the source documents: Balder (000_*: 3,471 visits, just over 100
unique visitors, a third women, about 70 % from other districts, 2.5 posts, budget
1,880 tkr) and the senior meeting points of Norrtälje (001_*). All names of people are
invented; a tally holds no person anyway.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from bokvar.demo import DemoContext
from bokvar.history import system_user

from . import services
from . import survey_services as services_surveys
from .models import DailyTally, MeetingPlace, Partner, Survey
from .services import PartnerData, TallyInput
from .survey_services import QuestionData, SurveyData


@dataclass(frozen=True)
class YearShape:
    """What a year at a place adds up to; the generator spreads it over the open days."""

    visits: int
    unique: int
    women: int
    this_district: int
    other_district: int
    other_municipality: int = 0
    activities_per_day: int = 1
    meals: int = 0


def open_days(year: int, weekdays: str, weeks: set[int] | None = None) -> list[date]:
    """The days of `year` on the ISO `weekdays` ("135"), in the given ISO weeks (all
    weeks but the summer and Christmas ones when None)."""
    day, days = date(year, 1, 1), []
    while day.year == year:
        week = day.isocalendar().week
        in_season = week in weeks if weeks is not None else (2 <= week <= 26 or 33 <= week <= 51)
        if str(day.isoweekday()) in weekdays and in_season:
            days.append(day)
        day += timedelta(days=1)
    return days


def _spread(total: int, n: int, rng: random.Random) -> list[int]:
    """`total` over `n` days, each near the mean, adding up exactly."""
    base = [total // n] * n
    for i in rng.sample(range(n), total % n):
        base[i] += 1
    # Move some visits between days, so days differ as real ones do.
    for _ in range(n):
        a, b = rng.randrange(n), rng.randrange(n)
        move = min(base[a] // 3, rng.randint(0, 3))
        base[a] -= move
        base[b] += move
    return base


def year_of_tallies(days: list[date], shape: YearShape, rng: random.Random) -> list[TallyInput]:
    """Day tallies whose sums are exactly the shape's: each visit gets a gender and a
    residence from shuffled exact counts, and the unique visitors' first visits fall
    mostly early in the year."""
    visits_per_day = _spread(shape.visits, len(days), rng)
    genders = ["w"] * shape.women + ["m"] * (shape.visits - shape.women)
    unknown = shape.visits - shape.this_district - shape.other_district - shape.other_municipality
    homes = (
        ["t"] * shape.this_district
        + ["d"] * shape.other_district
        + ["o"] * shape.other_municipality
        + ["u"] * unknown
    )
    rng.shuffle(genders)
    rng.shuffle(homes)
    # First visits this year: spread over the first two thirds of the year's visits.
    first = set(rng.sample(range(max(shape.unique, shape.visits * 2 // 3)), shape.unique))
    meals = _spread(shape.meals, len(days), rng) if shape.meals else [0] * len(days)
    out, i = [], 0
    for day, n, meal in zip(days, visits_per_day, meals, strict=True):
        g, h = genders[i : i + n], homes[i : i + n]
        out.append(
            TallyInput(
                day=day,
                visits=n,
                new_visitors=sum(1 for k in range(i, i + n) if k in first),
                women=g.count("w"),
                men=g.count("m"),
                from_this_district=h.count("t"),
                from_other_district=h.count("d"),
                from_other_municipality=h.count("o"),
                activities=shape.activities_per_day,
                participants=min(n, shape.activities_per_day * max(1, n // 2)),
                meals=meal,
            )
        )
        i += n
    return out


# Balder in 2018 (000_*): 3,471 visits by just over 100 people, a third women, about
# 70 % from other districts than Norrmalm; open weekdays.
BALDER_2018 = YearShape(
    visits=3471, unique=102, women=1157, this_district=1041, other_district=2430
)


def _place(ctx: DemoContext, data: PartnerData, fte: str) -> MeetingPlace:
    actor = ctx.users["coordinator"]
    assert ctx.district is not None  # seed() returns first without one
    partner = services.create_partner(actor=actor, district=ctx.district, data=data)
    place = partner.meeting_place
    services.set_staffing(
        actor=actor, place_id=place.pk, expected_version=place.version, staff_fte=Decimal(fte)
    )
    return place


def _store(place: MeetingPlace, tallies: list[TallyInput]) -> None:
    """Demo tallies in bulk (a year is hundreds of rows); each still passes the same
    checks as one entered by hand, and the database's constraints hold the sums."""
    rows = []
    for t in tallies:
        counts = services.check_tally(t)
        rows.append(DailyTally(place=place, day=t.day, **counts))
    bulk_create_with_history(
        rows, DailyTally, default_user=system_user(), default_change_reason="demo data"
    )


def seed(ctx: DemoContext) -> None:
    # No organisation seeded, no partners (as steering's demo).
    if ctx.district is None:
        return
    if Partner.objects.filter(district=ctx.district, name="Balans Stockholm").exists():
        return
    actor = ctx.users["coordinator"]
    rng = random.Random(2020)  # noqa: S311 - demo data
    services.create_partner(
        actor=actor,
        district=ctx.district,
        data=PartnerData(
            name="Balans Stockholm",
            kind=Partner.Kind.ASSOCIATION,
            contact_person="Kansliet",
            email="info@balans.example",
            target_groups="Utmattningssyndrom, depression, bipolär sjukdom; anhöriga",
            description="Studiecirklar, föreläsningar och stödgrupper med kamratstöd.",
        ),
    )
    last = timezone.localdate().year - 1
    balder = _place(
        ctx,
        PartnerData(
            name="Träfflokalen Balder",
            kind=Partner.Kind.MEETING_PLACE,
            target_groups="Personer över 18 med psykisk ohälsa; inget biståndsbeslut",
            agreement_from=date(last - 1, 1, 1),
        ),
        "2.50",
    )
    for year, shape in (
        (last - 1, BALDER_2018),
        (last, YearShape(3650, 110, 1260, 1100, 2550)),
    ):
        _store(balder, year_of_tallies(open_days(year, "12345"), shape, rng))
        for kind, amount in (("staff", 1314000), ("rent", 390000), ("other", 176000)):
            services.set_cost(
                actor=actor, place_id=balder.pk, year=year, kind=kind, amount=Decimal(amount)
            )
    services.assign_staff(actor=actor, place_id=balder.pk, user=ctx.users["skotare"])
    services.add_opening_period(
        actor=actor,
        place_id=balder.pk,
        starts_on=date(last - 1, 1, 1),
        ends_on=None,
        weekdays="12345",
        opens_at=time(10),
        closes_at=time(16),
    )
    vistet = _place(
        ctx,
        PartnerData(
            name="Träfflokalen Vistet",
            kind=Partner.Kind.MEETING_PLACE,
            target_groups="Personer som vill hitta vägar ut ur missbruk; eftermiddagsgrupper",
        ),
        "3.00",
    )
    _store(
        vistet,
        year_of_tallies(
            open_days(last, "1234"), YearShape(4100, 180, 1200, 2800, 1100, 50, 2, 1500), rng
        ),
    )
    for name, visits, meals in (("Träffpunkt Rimbo", 2400, 700), ("Träffpunkt Älmsta", 1500, 450)):
        point = _place(
            ctx,
            PartnerData(
                name=name,
                kind=Partner.Kind.MEETING_PLACE,
                target_groups="Äldre; i samverkan med PRO och ABF",
            ),
            "0",
        )
        days = open_days(last, "24", weeks=set(range(3, 25)) | set(range(34, 52)))
        shape = YearShape(
            visits, visits // 12, visits * 2 // 3, visits * 4 // 5, visits // 10, meals=meals
        )
        _store(point, year_of_tallies(days, shape, rng))
        services.set_cost(
            actor=actor, place_id=point.pk, year=last, kind="rent", amount=Decimal(120000)
        )
    survey = vistet_survey(actor=actor, place=vistet)
    services_surveys.set_status(
        actor=actor, survey_id=survey.pk, expected_version=survey.version, status="closed"
    )
    ctx.log(
        "Partners: Balans, Balder, Vistet and two meeting points with a year of tallies;"
        " Vistet's answered survey."
    )


# Vistet's guest survey of November 2014 (004_*): 50 guests answered; nearly 80 % come
# every week, 25 come 3-5 times a week, 16 % come for the afternoon activities. The
# individual answers are invented so that these figures come out.
VISTET_QUESTIONS = [
    QuestionData(kind="single", text="Kommer du till Vistet varje vecka?", options=["Ja", "Nej"]),
    QuestionData(
        kind="single",
        text="Hur ofta kommer du till Vistet?",
        options=["1–2 gånger i veckan", "3–5 gånger i veckan", "Mer sällan än varje vecka"],
    ),
    QuestionData(
        kind="multiple",
        text="Varför kommer du till Vistet?",
        options=[
            "Träffa vänner",
            "Äta frukost",
            "Få hjälp av personalen",
            "Delta i eftermiddagsaktiviteter",
        ],
    ),
    QuestionData(kind="scale", text="Hur nöjd är du med Vistet?", scale_min=1, scale_max=5),
    QuestionData(kind="text", text="Något mer du vill säga?"),
]
VISTET_TEXTS = {
    0: "Personalen är jättebra, jag känner mig välkommen.",
    1: "Fler grupper på eftermiddagen! Ring mig gärna på 070-123 45 67 om det behövs ledare.",
    2: "Frukosten är det bästa.",
}


def vistet_answers(i: int) -> dict[str, list[str]]:
    """Guest `i` (0-49)'s answers as option indexes / values, by question position."""
    often = "1" if i < 25 else ("0" if i < 40 else "2")
    reasons = [str(k) for k, chosen in enumerate((i < 31, i >= 23, 5 <= i < 27, i < 8)) if chosen]
    satisfied = "5" if i < 22 else ("4" if i < 40 else ("3" if i < 47 else "2"))
    answers = {1: ["0" if i < 40 else "1"], 2: [often], 3: reasons, 4: [satisfied]}
    if i in VISTET_TEXTS:
        answers[5] = [VISTET_TEXTS[i]]
    return {str(k): v for k, v in answers.items()}


def vistet_survey(*, actor, place: MeetingPlace) -> Survey:
    """Vistet's survey, built and answered (typed in from paper, as it was in 2014)."""
    survey = services_surveys.create_survey(
        actor=actor,
        data=SurveyData(
            title="Gästenkät Vistet",
            introduction="Vad tycker du om Vistet? Enkäten är anonym.",
        ),
        place=place,
    )
    for data in VISTET_QUESTIONS:
        survey.refresh_from_db()
        services_surveys.add_question(
            actor=actor, survey_id=survey.pk, expected_version=survey.version, data=data
        )
    survey.refresh_from_db()
    survey = services_surveys.set_status(
        actor=actor, survey_id=survey.pk, expected_version=survey.version, status="open"
    )
    fields = {str(q.position): q.field_name for q in survey.questions.all()}
    for i in range(50):
        answers = {fields[k]: v for k, v in vistet_answers(i).items()}
        services_surveys.enter_paper_answers(actor=actor, survey_id=survey.pk, data=answers)
    return survey
