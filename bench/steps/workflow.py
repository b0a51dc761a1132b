"""Landlords, their signals, eviction threats with deadlines, and contacts."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from tqdm import tqdm

from bokvar import bulk
from cases.evictions.selectors import landlord_name_index
from cases.models import Case, Contact, Deadline, EvictionThreat, Landlord, LandlordSignal

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
    bulk.insert(Landlord, landlords, user_id=ctx.system_user_id, reason="generated")
    person_of_household = {household: (pn, bidx) for _pid, household, pn, bidx in ctx.persons}
    staff_ids = [user_id for users in ctx.staff.values() for user_id, _d, _u in users]

    eviction_cases = [c for c in ctx.cases if c[5] == Case.Kind.EVICTION_PREVENTION]
    per_case = ctx.scale.signals_per_case
    bar = tqdm(
        total=len(eviction_cases), desc="workflow", unit="case", file=ctx.stdout, mininterval=2
    )
    for chunk in batched(eviction_cases, 4_000):
        signals, threats, contacts = [], [], []
        for case_id, household_id, _unit, district_id, opened, _kind in chunk:
            pn, bidx = person_of_household[household_id]
            landlord = landlords[case_id % len(landlords)]
            plan = ctx.threat_plans[case_id]
            first = plan.arrears_notice_on - timedelta(days=rng.randint(0, 20))
            received = first
            for n in range(int(per_case) + (1 if rng.random() < per_case % 1 else 0)):
                if n:
                    received += timedelta(days=rng.randint(7, 40))
                if received > today:  # the rest of the signals lie ahead: spread them back
                    received = first + timedelta(days=rng.randint(0, max(0, (today - first).days)))
                signals.append(
                    LandlordSignal(
                        landlord=landlord,
                        kind=KINDS[(case_id + n) % len(KINDS)],
                        channel="api" if n % 2 else "email",
                        received_on=received,
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
            threats.append(
                EvictionThreat(
                    case_id=case_id,
                    arrears_amount=Decimal(rng.randint(5, 80) * 1000),
                    recovery_amount=Decimal(rng.randint(5, 80) * 1000)
                    if plan.termination_served_on
                    else None,
                    **asdict(plan),
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
        deadlines = [d for t in threats for d in _deadlines(rng, t, today=today)]
        bulk.insert(Deadline, deadlines, user_id=ctx.system_user_id, reason="generated")
        bar.update(len(chunk))
    bar.close()
    _waiting_signals(ctx, landlords, today=today)
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


def _done_at(on: date) -> datetime:
    return datetime.combine(on, time(15), tzinfo=UTC)


def _deadlines(rng, threat: EvictionThreat, *, today: date) -> list[Deadline]:
    """The deadline rows the workflow keeps for a threat (threats.sync_deadlines): one
    for the recovery deadline and one for the eviction date. The recovery deadline is
    done at the outcome or at its expiry (an application does not end it, JB 12:44);
    the eviction date at the outcome."""
    out = []
    if threat.recovery_deadline:
        over = threat.concluded_on
        if over is None and threat.recovery_deadline < today:
            over = threat.recovery_deadline
        out.append(
            Deadline(
                case_id=threat.case_id,
                threat=threat,
                kind=Deadline.Kind.RECOVERY,
                due_on=threat.recovery_deadline,
                done_at=_done_at(min(over, today)) if over else None,
            )
        )
    if threat.eviction_on:
        out.append(
            Deadline(
                case_id=threat.case_id,
                threat=threat,
                kind=Deadline.Kind.EVICTION,
                due_on=threat.eviction_on,
                done_at=_done_at(threat.concluded_on) if threat.concluded_on else None,
            )
        )
    return out


WAITING_PER_DISTRICT = 20


def _waiting_signals(ctx: GenContext, landlords: list, *, today: date) -> None:
    """The triage queue: signals of the last two weeks, per district, not yet triaged;
    some of them repeats of a waiting one (same tenant and landlord)."""
    rng = ctx.rng
    people_by_district: dict[int, list] = {}
    person_of_household = {household: (pn, bidx) for _pid, household, pn, bidx in ctx.persons}
    for _case, household, _unit, district_id, _opened, _kind in ctx.cases:
        people_by_district.setdefault(district_id, []).append(person_of_household[household])
    first, repeats = [], []
    for district_id, people in people_by_district.items():
        for n in range(WAITING_PER_DISTRICT):
            pn, bidx = people[rng.randrange(len(people))]
            values = {
                "landlord": landlords[rng.randrange(len(landlords))],
                "kind": KINDS[n % len(KINDS)],
                "channel": "api",
                "received_on": today - timedelta(days=rng.randint(0, 14)),
                "tenant_personal_number": pn,
                "tenant_personal_number_bidx": bidx,
                "arrears_amount": Decimal(rng.randint(2, 30) * 1000),
                "description": "Hyran är obetald.",
                "status": LandlordSignal.Status.UNTRIAGED,
                "district_id": district_id,
            }
            signal = LandlordSignal(**values)
            first.append(signal)
            if n % 5 == 0:
                repeats.append((signal, values))
    bulk.insert(LandlordSignal, first, user_id=ctx.system_user_id, reason="generated")
    bulk.insert(
        LandlordSignal,
        [
            LandlordSignal(**{**values, "received_on": today, "kind": KINDS[0]}, repeat_of=signal)
            for signal, values in repeats
        ],
        user_id=ctx.system_user_id,
        reason="generated",
    )
