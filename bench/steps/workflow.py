"""Landlords, their signals, eviction threats with deadlines, and contacts."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tqdm import tqdm

from bokvar import bulk
from cases.models import Case, Contact, Deadline, EvictionThreat, Landlord, LandlordSignal
from cases.selectors import landlord_name_index

from ..generate import GenContext, batched

COMPANIES = [
    "Familjebostäder",
    "Stockholmshem",
    "Svenska Bostäder",
    "Heimstaden",
    "Akelius",
    "Wallenstam",
]
KINDS = [k for k, _ in LandlordSignal.Kind.choices]


def run(ctx: GenContext) -> None:
    rng = ctx.rng
    today = date.today()
    landlords = [
        Landlord(
            kind=Landlord.Kind.HOUSING_COMPANY,
            organisation_name=f"{COMPANIES[i % len(COMPANIES)]} {i // len(COMPANIES) + 1}",
            name_bidx=landlord_name_index(
                f"{COMPANIES[i % len(COMPANIES)]} {i // len(COMPANIES) + 1}"
            ),
        )
        for i in range(max(6, len(ctx.districts) * 5))
    ]
    bulk.insert(Landlord, landlords)
    person_of_household = {household: (pn, bidx) for _pid, household, pn, bidx in ctx.persons}
    staff_ids = [user_id for users in ctx.staff.values() for user_id, _d, _u in users]

    eviction_cases = [
        c for c in ctx.cases if c[0] % 7 != 6
    ]  # kind homelessness is every 7th (see cases step)
    per_case = ctx.scale.signals_per_case
    bar = tqdm(
        total=len(eviction_cases), desc="workflow", unit="case", file=ctx.stdout, mininterval=2
    )
    for chunk in batched(eviction_cases, 4_000):
        signals, threats, contacts = [], [], []
        for case_id, household_id, _unit, district_id, opened, _kind in chunk:
            pn, bidx = person_of_household[household_id]
            landlord = landlords[case_id % len(landlords)]
            for n in range(int(per_case) + (1 if rng.random() < per_case % 1 else 0)):
                received = opened - timedelta(days=rng.randint(0, 60)) + timedelta(days=n * 20)
                signals.append(
                    LandlordSignal(
                        landlord=landlord,
                        kind=KINDS[(case_id + n) % len(KINDS)],
                        channel="api" if n % 2 else "email",
                        received_on=min(received, today),
                        tenant_personal_number=pn,
                        tenant_personal_number_bidx=bidx,
                        arrears_amount=Decimal(rng.randint(2, 60) * 1000),
                        description="Hyran för två månader är obetald.",
                        status=LandlordSignal.Status.LINKED,
                        case_id=case_id,
                        district_id=district_id,
                        first_contact_days=rng.randint(0, 20) if n == 0 else None,
                    )
                )
            served = opened + timedelta(days=rng.randint(5, 40))
            if served > today:
                served = today
            board = served + timedelta(days=rng.randint(-3, 3))
            threats.append(
                EvictionThreat(
                    case_id=case_id,
                    arrears_notice_on=served - timedelta(days=rng.randint(10, 30)),
                    arrears_amount=Decimal(rng.randint(5, 80) * 1000),
                    termination_served_on=served,
                    board_notified_on=board,
                    recovery_deadline=max(served, board) + timedelta(days=21),
                    recovery_amount=Decimal(rng.randint(5, 80) * 1000),
                )
            )
            contacts.append(
                Contact(
                    case_id=case_id,
                    kind="call",
                    reached=rng.random() < 0.7,
                    on=min(opened + timedelta(days=rng.randint(0, 10)), today),
                    author_id=staff_ids[case_id % len(staff_ids)],
                    note="Ringde, bokade hembesök.",
                )
            )
        for part in batched(signals, 10_000):
            bulk.insert(LandlordSignal, part, user_id=ctx.system_user_id, reason="generated")
        bulk.insert(EvictionThreat, threats, user_id=ctx.system_user_id, reason="generated")
        bulk.insert(Contact, contacts, user_id=ctx.system_user_id, reason="generated")
        # Coordinators act on recovery deadlines: all but a few past ones are done.
        deadlines = [
            Deadline(
                case_id=t.case_id,
                threat=t,
                kind=Deadline.Kind.RECOVERY,
                due_on=t.recovery_deadline,
                done_at=datetime.combine(t.recovery_deadline, time(15), tzinfo=UTC)
                if t.recovery_deadline < today and rng.random() < 0.97
                else None,
            )
            for t in threats
        ]
        bulk.insert(Deadline, deadlines, user_id=ctx.system_user_id, reason="generated")
        bar.update(len(chunk))
    bar.close()
    # A working day's worth of deadlines falls due within the reminder lead times.
    open_cases = list(
        Case.objects.filter(status=Case.Status.OPEN).values_list("id", flat=True)[
            : 40 * len(ctx.districts)
        ]
    )
    soon = [
        Deadline(
            case_id=case_id, kind=Deadline.Kind.FOLLOW_UP, due_on=today + timedelta(days=(i % 8))
        )
        for i, case_id in enumerate(open_cases)
    ]
    bulk.insert(Deadline, soon, user_id=ctx.system_user_id, reason="generated")
