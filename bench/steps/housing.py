"""Shelters, shelter nights for the homeless clients, apartments and placements."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from tqdm import tqdm

from bokvar import bulk
from cases.models import Case
from housing.models import Apartment, Placement, Shelter, ShelterNight, ShelterPrice

from ..generate import GenContext, batched


def run(ctx: GenContext) -> None:
    today = date.today()
    start = date(today.year - 2, 1, 1)
    # Every generated row's history row: by the system account, "generated".
    history: bulk.Attribution = {"user_id": ctx.system_user_id, "reason": "generated"}
    shelters = bulk.insert(
        Shelter,
        [
            Shelter(name=f"Härbärge {d:03d}-{n}", district_id=d)
            for d in ctx.districts
            for n in range(2)
        ],
        **history,
    )
    bulk.insert(
        ShelterPrice,
        [
            ShelterPrice(
                shelter=s, valid_from=start, price_per_night=Decimal(400 + (s.pk % 5) * 20)
            )
            for s in shelters
        ]
        + [
            ShelterPrice(
                shelter=s,
                valid_from=date(today.year, 1, 1),
                price_per_night=Decimal(450 + (s.pk % 5) * 20),
            )
            for s in shelters
        ],
        **history,
    )
    shelters_by_district: dict[int, list[Shelter]] = {}
    for s in shelters:
        shelters_by_district.setdefault(s.district_id, []).append(s)
    person_of_household = {household: pid for pid, household, _pn, _b in ctx.persons}
    homeless = [c for c in ctx.cases if c[5] == Case.Kind.HOMELESSNESS]
    by_district: dict[int, list] = {}
    for c in homeless:
        by_district.setdefault(c[3], []).append(c)
    total = ctx.scale.shelter_nights_per_district * len(ctx.districts)
    bar = tqdm(total=total, desc="shelter nights", unit="night", file=ctx.stdout, mininterval=2)
    for district_id, clients in by_district.items():
        nights = _nights(ctx, district_id, clients, shelters_by_district[district_id], start)
        nights = [
            ShelterNight(person_id=person_of_household[household], **values)
            for household, values in nights
        ]
        for chunk in batched(nights, 10_000):
            bulk.insert(ShelterNight, chunk, user_id=ctx.system_user_id, reason="generated")
            bar.update(len(chunk))
    bar.close()
    for district_id in ctx.districts:
        _placements(ctx, district_id, by_district.get(district_id, []), start)


def _nights(ctx: GenContext, district_id: int, clients: list, shelters: list, start: date):
    """The district's shelter nights, shared among its homeless clients: each stays in
    one to three episodes of consecutive nights, from some months before their case
    opened to a year after (not before the start of the data), never twice on one
    night."""
    rng, today = ctx.rng, date.today()
    per_client = max(1, ctx.scale.shelter_nights_per_district // max(1, len(clients)))
    out = []
    for case_id, household, unit_id, _d, opened, _kind in clients:
        shelter = shelters[case_id % len(shelters)]
        episodes = rng.randint(1, 3)
        taken: set[date] = set()
        length = per_client // episodes
        for _ in range(episodes):
            first = max(opened + timedelta(days=rng.randint(-150, 330)), start)
            # An episode that would run past yesterday is moved back to end before today.
            first = max(min(first, today - timedelta(days=length)), start)
            for n in range(length):
                night = first + timedelta(days=n)
                if night >= today:
                    break
                if night in taken:
                    continue
                taken.add(night)
                out.append(
                    (
                        household,
                        {
                            "shelter": shelter,
                            "night": night,
                            "paying_unit_id": unit_id,
                            "cost": Decimal(450 if night.year == today.year else 400),
                            "source": "import",
                        },
                    )
                )
    return out


KINDS = [
    Apartment.Kind.TRAINING,
    Apartment.Kind.TRIAL,
    Apartment.Kind.TRAINING,
    Apartment.Kind.TRIAL,
    Apartment.Kind.BOARDING_HOME,
    Apartment.Kind.OTHER,
]
# How a placement ends (placements ending before today): a contract takeover (the flat
# leaves the stock), moving on, a terminated contract, other.
ENDINGS = [("takeover", 0.3), ("moved_on", 0.35), ("terminated", 0.25), ("other", 0.1)]


def _placements(ctx: GenContext, district_id: int, clients: list, start: date) -> None:
    """The district's apartments, each with placements one after the other from the
    start of the data: a placement lasts months to two years and ends (after a few
    weeks of vacancy the flat is let again), or is current; a takeover ends the flat's
    time in the stock. Clients come from the district's own homeless cases."""
    rng, today = ctx.rng, date.today()
    pool = list(clients)
    rng.shuffle(pool)
    apartments, plans = [], []
    for n in range(ctx.scale.placements_per_district):
        timeline = []
        at = start + timedelta(days=rng.randint(0, 300))
        status, since = Apartment.Status.VACANT, start
        while at < today and pool:
            case_id, household, _unit, _d, opened, _kind = pool.pop()
            begin = max(at, opened + timedelta(days=rng.randint(7, 60)))
            if begin >= today:
                break
            end = begin + timedelta(days=rng.randint(90, 720))
            if end >= today:
                timeline.append((case_id, household, begin, None, ""))
                status, since = Apartment.Status.OCCUPIED, begin
                break
            outcome = _ending(rng)
            timeline.append((case_id, household, begin, end, outcome))
            status, since = Apartment.Status.VACANT, end
            if outcome == "takeover":
                status = Apartment.Status.LEFT_STOCK
                break
            at = end + timedelta(days=rng.randint(7, 60))
        apartments.append(
            Apartment(
                district_id=district_id,
                kind=KINDS[n % len(KINDS)],
                reference=f"L-{district_id}-{n}",
                address=f"Gatan {n}",
                rent=Decimal(6000),
                status=status,
                status_since=since,
            )
        )
        plans.append(timeline)
    bulk.insert(Apartment, apartments, user_id=ctx.system_user_id, reason="generated")
    placements = [
        Placement(
            apartment=apartment,
            case_id=case_id,
            household_id=household,
            start_on=begin,
            end_on=end,
            outcome=outcome,
            takeover_on=end if outcome == "takeover" else None,
            monthly_cost=Decimal(1500),
            goal_running_home=True,
        )
        for apartment, timeline in zip(apartments, plans, strict=True)
        for case_id, household, begin, end, outcome in timeline
    ]
    bulk.insert(Placement, placements, user_id=ctx.system_user_id, reason="generated")


def _ending(rng) -> str:
    roll, total = rng.random(), 0.0
    for outcome, weight in ENDINGS:
        total += weight
        if roll < total:
            return outcome
    return ENDINGS[-1][0]
