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
    rng, today = ctx.rng, date.today()
    start = date(today.year - 2, 1, 1)
    shelters = Shelter.objects.bulk_create(
        [
            Shelter(name=f"Härbärge {d:03d}-{n}", district_id=d)
            for d in ctx.districts
            for n in range(2)
        ]
    )
    ShelterPrice.objects.bulk_create(
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
        ]
    )
    shelters_by_district: dict[int, list[Shelter]] = {}
    for s in shelters:
        shelters_by_district.setdefault(s.district_id, []).append(s)
    person_of_household = {household: pid for pid, household, _pn, _b in ctx.persons}
    homeless = [c for c in ctx.cases if c[5] == Case.Kind.HOMELESSNESS]
    per_district = ctx.scale.shelter_nights_per_district
    by_district: dict[int, list] = {}
    for c in homeless:
        by_district.setdefault(c[3], []).append(c)
    span = (today - start).days
    total = per_district * len(ctx.districts)
    bar = tqdm(total=total, desc="shelter nights", unit="night", file=ctx.stdout, mininterval=2)
    for district_id, clients in by_district.items():
        nights = []
        per_client = max(1, per_district // max(1, len(clients)))
        for case_id, household, unit_id, _d, _opened, _kind in clients:
            person_id = person_of_household[household]
            shelter = shelters_by_district[district_id][case_id % 2]
            first = start + timedelta(days=rng.randint(0, max(0, span - per_client)))
            for n in range(min(per_client, span)):
                night = first + timedelta(days=n)
                nights.append(
                    ShelterNight(
                        person_id=person_id,
                        shelter=shelter,
                        night=night,
                        paying_unit_id=unit_id,
                        cost=Decimal(450 if night.year == today.year else 400),
                        source="import",
                    )
                )
        for chunk in batched(nights, 10_000):
            bulk.insert(ShelterNight, chunk, user_id=ctx.system_user_id, reason="generated")
            bar.update(len(chunk))
    bar.close()
    apartments, placements = [], []
    kinds = [
        Apartment.Kind.TRAINING,
        Apartment.Kind.TRIAL,
        Apartment.Kind.BOARDING_HOME,
        Apartment.Kind.OTHER,
    ]
    for d in ctx.districts:
        for n in range(ctx.scale.placements_per_district):
            apartments.append(
                Apartment(
                    district_id=d,
                    kind=kinds[n % 4],
                    reference=f"L-{d}-{n}",
                    address=f"Gatan {n}",
                    rent=Decimal(6000),
                    status=Apartment.Status.OCCUPIED,
                    status_since=start,
                )
            )
    bulk.insert(Apartment, apartments)
    clients = iter(homeless)
    for apartment in apartments:
        client = next(clients, None)
        if client is None:
            break
        placements.append(
            Placement(
                apartment=apartment,
                case_id=client[0],
                household_id=client[1],
                start_on=start + timedelta(days=rng.randint(0, 300)),
                monthly_cost=Decimal(1500),
                goal_running_home=True,
            )
        )
    bulk.insert(Placement, placements, user_id=ctx.system_user_id, reason="generated")
