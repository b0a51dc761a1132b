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
    coordinator, guide = ctx.users["coordinator"], ctx.users["guide"]
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

    apartments = []
    kinds = (
        [Apartment.Kind.TRAINING] * 3
        + [Apartment.Kind.TRIAL] * 3
        + [Apartment.Kind.BOARDING_HOME] * 2
        + [Apartment.Kind.OTHER]
    )
    for i, kind in enumerate(kinds, start=1):
        apartments.append(
            services.create_apartment(
                actor=coordinator,
                district_id=ctx.district.pk,
                kind=kind,
                reference=f"LGH-{1000 + i}",
                address=f"Tulegatan {i * 3}\n113 53 Stockholm",
                rent=Decimal(5200 + i * 300),
                status_since=two_years_ago,
            )
        )
    guided = list(Case.objects.filter(assignments__user=guide).order_by("id")[:7])
    for i, case in enumerate(guided):
        apartment = apartments[i]
        start = two_years_ago + timedelta(days=30 + i * 40)
        placement = services.start_placement(
            actor=coordinator,
            case_id=case.pk,
            apartment_id=apartment.pk,
            start_on=start,
            guide=guide,
            monthly_cost=Decimal(1500 + i * 100),
            goals={"running_home": True, "managing_money": i % 2 == 0},
            plan="Veckovisa hembesök första månaden, sedan varannan vecka.",
        )
        services.add_progress_note(
            actor=guide,
            placement_id=placement.pk,
            on=start + timedelta(days=14),
            note="Trivs i lägenheten. Behöver stöd med räkningar.",
        )
        if i < 3:  # past placements; two of them ended in a takeover of the contract
            end = start + timedelta(days=300)
            placement.refresh_from_db()
            services.end_placement(
                actor=coordinator,
                placement_id=placement.pk,
                expected_version=placement.version,
                end_on=end,
                outcome="takeover" if i < 2 else "moved_on",
                takeover_on=end if i < 2 else None,
            )
    ctx.log(
        f"Housing: {len(shelters)} shelters, {len(nights)} shelter nights, {len(apartments)} apartments."
    )
