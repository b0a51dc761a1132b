"""Demo shelters with prices, two years of shelter nights, apartments of each kind with
current and past placements including contract takeovers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from bokvar.demo import DemoContext
from cases.models import Case

from . import services
from .models import Apartment, CostCategory, Shelter, ShelterNight, ShelterPrice


def seed(ctx: DemoContext) -> None:
    if Shelter.objects.exists():
        ctx.log("Housing: already present, left as it is.")
        return
    rng, today = ctx.rng, timezone.localdate()
    coordinator = ctx.users["coordinator"]
    two_years_ago = date(today.year - 2, 1, 1)
    shelters = []
    for name, price, raised in [
        ("Härbärget Navet", 450, 480),
        ("Nattkaféet", 390, 420),
        ("Ny Gemenskap", 520, 520),
    ]:
        shelter = Shelter.objects.create(name=name, district=ctx.district)
        ShelterPrice.objects.create(
            shelter=shelter, valid_from=two_years_ago, price_per_night=Decimal(price)
        )
        ShelterPrice.objects.create(
            shelter=shelter, valid_from=date(today.year, 1, 1), price_per_night=Decimal(raised)
        )
        shelters.append((shelter, price, raised))
    for name in ["Hemtjänst", "God man", "Flyttkostnad", "Hotell och vandrarhem"]:
        CostCategory.objects.get_or_create(name=name)

    homeless = list(
        Case.objects.filter(kind=Case.Kind.HOMELESSNESS).select_related(
            "household__head", "responsible_unit"
        )
    )
    nights = []
    for case in homeless:
        person = case.household.head
        shelter, old, new = rng.choice(shelters)
        day = two_years_ago + timedelta(days=rng.randint(0, 200))
        while day < today:
            stay = rng.randint(3, 25)
            for n in range(stay):
                night = day + timedelta(days=n)
                if night >= today:
                    break
                price = new if night.year == today.year else old
                nights.append(
                    ShelterNight(
                        person=person,
                        shelter=shelter,
                        night=night,
                        cost=Decimal(price),
                        paying_unit=case.responsible_unit,
                    )
                )
            day += timedelta(days=stay + rng.randint(5, 60))
    bulk_create_with_history(
        nights,
        ShelterNight,
        batch_size=2000,
        default_user=coordinator,
        default_change_reason="demo data",
    )

    apartments = _seed_apartments(ctx, today, since=two_years_ago)
    ctx.log(
        f"Housing: {len(shelters)} shelters, {len(nights)} shelter nights, {len(apartments)} apartments."
    )


# Each story is one guided client's way through the apartments: (apartment, share of
# the time since the case opened when they move in, share when they move out or None
# while still there, outcome). Every kind has current and past placements; the first
# story is the whole chain, from boarding home to a contract of their own.
STORIES = [
    [
        ("boarding_home_1", 0.0, 0.25, "moved_on"),
        ("training_1", 0.25, 0.55, "moved_on"),
        ("trial_1", 0.55, 0.85, "takeover"),
    ],
    [("training_2", 0.1, 0.5, "moved_on"), ("trial_2", 0.5, None, "")],
    [("other_1", 0.1, 0.6, "terminated")],
    [("trial_3", 0.2, 0.8, "takeover")],
    [("boarding_home_2", 0.3, None, "")],
    # Moving in where an earlier story moved out: starts after that placement ended.
    [("training_1", 0.7, None, "")],
    [("boarding_home_1", 0.5, None, "")],
    [("other_1", 0.8, None, "")],
]
APARTMENTS = [
    ("training_1", Apartment.Kind.TRAINING),
    ("training_2", Apartment.Kind.TRAINING),
    ("training_3", Apartment.Kind.TRAINING),
    ("trial_1", Apartment.Kind.TRIAL),
    ("trial_2", Apartment.Kind.TRIAL),
    ("trial_3", Apartment.Kind.TRIAL),
    ("boarding_home_1", Apartment.Kind.BOARDING_HOME),
    ("boarding_home_2", Apartment.Kind.BOARDING_HOME),
    ("other_1", Apartment.Kind.OTHER),
]


def _seed_apartments(ctx: DemoContext, today: date, *, since: date) -> list[Apartment]:
    coordinator, guide = ctx.users["coordinator"], ctx.users["guide"]
    apartments = {}
    for i, (key, kind) in enumerate(APARTMENTS, start=1):
        apartments[key] = services.create_apartment(
            actor=coordinator,
            district_id=ctx.district.pk,
            kind=kind,
            reference=f"LGH-{1000 + i}",
            address=f"Tulegatan {i * 3}\n113 53 Stockholm",
            rent=Decimal(5200 + i * 300),
            status_since=since,
        )
    # The longest stories go to the clients whose cases opened first, and every move
    # falls within the case's own time, so the forecast and the chain stay plausible.
    guided = list(
        Case.objects.filter(assignments__user=guide).order_by("opened_on", "id")[: len(STORIES)]
    )
    moved_out: dict[str, date] = {}
    for n, (case, story) in enumerate(zip(guided, STORIES, strict=False)):
        span = (today - case.opened_on).days

        def on(share: float, case=case, span=span) -> date:
            return case.opened_on + timedelta(days=int(span * share))

        for key, moves_in, moves_out, outcome in story:
            apartment = apartments[key]
            start = max(on(moves_in), moved_out.get(key, case.opened_on))
            placement = services.start_placement(
                actor=coordinator,
                case_id=case.pk,
                apartment_id=apartment.pk,
                start_on=start,
                guide=guide,
                monthly_cost=Decimal(1500 + n * 100),
                goals={"running_home": True, "managing_money": n % 2 == 0},
                plan="Veckovisa hembesök första månaden, sedan varannan vecka.",
            )
            end = max(start, on(moves_out)) if moves_out is not None else None
            services.add_progress_note(
                actor=guide,
                placement_id=placement.pk,
                on=min(start + timedelta(days=14), end or today),
                note="Trivs i lägenheten. Behöver stöd med räkningar.",
            )
            if end is None:
                continue
            placement.refresh_from_db()
            services.end_placement(
                actor=coordinator,
                placement_id=placement.pk,
                expected_version=placement.version,
                end_on=end,
                outcome=outcome,
                takeover_on=end if outcome == "takeover" else None,
            )
            moved_out[key] = end
    renovated = apartments["training_3"]
    services.set_apartment_status(
        actor=coordinator,
        apartment_id=renovated.pk,
        expected_version=renovated.version,
        status=Apartment.Status.RENOVATION,
        since=today - timedelta(days=20),
    )
    return list(apartments.values())
