"""Demo data for the eviction-prevention workflow: landlords, a few weeks of signals
(some still waiting for triage), threats at every stage, contacts and deadlines.
Idempotent: nothing is added when signals already exist."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from bokvar.demo import DemoContext
from bokvar.legal_calendar import statutory_last_day
from bokvar.models import Unit
from cases.core.demo import fake_person
from cases.models import Case, EvictionThreat, Landlord, LandlordSignal, PaymentRoute

from .selectors import find_landlord_by_name
from .services import contacts, landlord_signals, landlords, payment_routes, threats, triage
from .services.landlord_signals import SignalInput
from .services.payment_routes import RouteData
from .services.threats import ThreatData

LANDLORDS = [
    (Landlord.Kind.HOUSING_COMPANY, "Familjebostäder", "08-737 20 00"),
    (Landlord.Kind.HOUSING_COMPANY, "Svenska Bostäder", "08-508 370 00"),
    (Landlord.Kind.COOPERATIVE, "BRF Vasastaden", "08-31 22 10"),
    (Landlord.Kind.PRIVATE, "Gunnar Fastighetsägare", "070-555 12 34"),
]
DESCRIPTIONS = [
    "Hyran för innevarande månad har inte betalats.",
    "Två månaders hyra obetald. Hyresgästen svarar inte på brev.",
    "Grannar klagar på hög musik nattetid.",
    "Stark lukt från lägenheten, misstänkt vanvård.",
    "Upprepade störningar trots tidigare rättelseanmaning.",
]


def _landlords(ctx: DemoContext) -> list[Landlord]:
    out = []
    for kind, name, phone in LANDLORDS:
        landlord = find_landlord_by_name(name)
        if landlord is None:
            landlord = landlords.register_landlord(
                actor=ctx.users["admin"], kind=kind, name=name, phone=phone
            )
        out.append(landlord)
    return out


def seed(ctx: DemoContext) -> None:
    if LandlordSignal.objects.exists():
        ctx.log("Signals: already present, left as they are.")
        return
    rng = ctx.rng
    today = timezone.localdate()
    coordinator = ctx.users["coordinator"]
    landlords = _landlords(ctx)
    open_cases = list(
        Case.objects.filter(kind=Case.Kind.EVICTION_PREVENTION, status=Case.Status.OPEN)
        .select_related("household__head")
        .order_by("id")[:12]
    )
    kinds = [k for k, _ in LandlordSignal.Kind.choices]
    # Signals over the last five weeks; the first few are linked to existing cases.
    for index in range(18):
        received = today - timedelta(days=rng.randint(0, 35))
        case = open_cases[index] if index < 8 and index < len(open_cases) else None
        head = case.household.head if case else None
        kind = rng.choice(kinds)
        signal = landlord_signals.register_signal(
            actor=coordinator,
            landlord=rng.choice(landlords),
            data=SignalInput(
                kind=kind,
                received_on=received,
                channel=rng.choice(["phone", "letter", "email"]),
                personal_number=head.personal_number if head and index % 2 == 0 else "",
                name=head.full_name if head else "",
                arrears_amount=Decimal(rng.randint(4, 60) * 1000)
                if kind in ("missed_payment", "rent_arrears")
                else None,
                description=rng.choice(DESCRIPTIONS),
                landlord_warned_tenant=rng.random() < 0.5,
                landlord_notified_board=rng.random() < 0.5,
            ),
            today=today,
        )
        if case is not None and index < 5 and signal.status == LandlordSignal.Status.UNTRIAGED:
            triage.link_signal(
                actor=coordinator,
                signal_id=signal.pk,
                expected_version=signal.version,
                case_id=case.pk,
            )
        elif index in (15, 16):
            triage.dismiss_signal(
                actor=coordinator,
                signal_id=signal.pk,
                expected_version=signal.version,
                reason="Hyresgästen har redan flyttat.",
            )
    # One signal triaged into a new case of its own.
    tenant = fake_person(rng, female=True, year=1984)
    fresh = landlord_signals.register_signal(
        actor=coordinator,
        landlord=landlords[0],
        data=SignalInput(
            kind="rent_arrears",
            received_on=today - timedelta(days=3),
            channel="letter",
            personal_number=tenant.personal_number,
            name=f"{tenant.given_name} {tenant.family_name}",
            arrears_amount=Decimal(9500),
            description=DESCRIPTIONS[1],
        ),
        today=today,
    )
    triage.open_case_from_signal(
        actor=coordinator,
        signal_id=fresh.pk,
        expected_version=fresh.version,
        responsible_unit=ctx.units[Unit.Kind.HOUSING_TEAM],
        assignees=[coordinator],
        given_name=tenant.given_name,
        family_name=tenant.family_name,
    )
    # Threats at every stage on the first cases.
    stages = [
        ThreatData(arrears_notice_on=today - timedelta(days=10), arrears_amount=Decimal(14000)),
        ThreatData(
            arrears_notice_on=today - timedelta(days=20),
            termination_served_on=today - timedelta(days=6),
            arrears_amount=Decimal(22000),
        ),
        ThreatData(
            arrears_notice_on=today - timedelta(days=25),
            termination_served_on=today - timedelta(days=12),
            board_notice_given_on=today - timedelta(days=16),
            board_notified_on=today - timedelta(days=14),
            recovery_amount=Decimal(31500),
        ),
        ThreatData(
            arrears_notice_on=today - timedelta(days=30),
            termination_served_on=today - timedelta(days=18),
            board_notified_on=today - timedelta(days=17),
            recovery_amount=Decimal(18000),
            # The landlord applied at once: the recovery period still runs (JB 12:44).
            application_to="enforcement",
            application_on=today - timedelta(days=2),
        ),
        ThreatData(
            arrears_notice_on=today - timedelta(days=60),
            termination_served_on=today - timedelta(days=45),
            board_notified_on=today - timedelta(days=45),
            application_to="rent_tribunal",
            application_on=today - timedelta(days=10),
        ),
        ThreatData(
            arrears_notice_on=today - timedelta(days=90),
            termination_served_on=today - timedelta(days=70),
            board_notified_on=today - timedelta(days=69),
            application_to="enforcement",
            application_on=today - timedelta(days=40),
            # The Enforcement Authority evicts on working days.
            eviction_on=statutory_last_day(today + timedelta(days=12)),
        ),
        ThreatData(
            arrears_notice_on=today - timedelta(days=60),
            termination_served_on=today - timedelta(days=45),
            board_notified_on=today - timedelta(days=44),
            paid_on=today - timedelta(days=30),
            outcome="recovered_by_payment",
        ),
    ]
    created = []
    for case, data in zip(open_cases, stages, strict=False):
        created.append(
            threats.create_threat(actor=coordinator, case_id=case.pk, data=data, today=today)
        )
        contacts.record_contact(
            actor=coordinator,
            case_id=case.pk,
            kind=rng.choice(["call", "home_visit", "letter", "meeting"]),
            on=today - timedelta(days=rng.randint(0, 5)),
            reached=rng.random() < 0.7,
            note="Gick igenom ekonomin och möjligheten att söka försörjningsstöd.",
            # A follow-up agreed for a working day, never a weekend or holiday.
            follow_up_on=statutory_last_day(today + timedelta(days=rng.randint(1, 14))),
            today=today,
        )
        contacts.record_intervention(
            actor=coordinator,
            case_id=case.pk,
            kind=rng.choice(["income_support", "debt_counselling", "payment_plan"]),
            on=today - timedelta(days=rng.randint(0, 5)),
            note="Remiss skickad.",
            today=today,
        )
    _payment_routes(ctx, created, today=today)
    ctx.log("Signals: landlords, 19 signals, threats at every stage, contacts and deadlines.")


def _payment_routes(ctx: DemoContext, created: list[EvictionThreat], *, today: date) -> None:
    """Two payment routes (issue 15, point 7): one in progress, the income-support
    application waiting for a decision while the recovery period runs (the income-support
    unit sees the deadline on its own list), and one that saved the home in time with a
    written commitment the landlord confirmed."""
    if len(created) < 5:
        return
    unit = ctx.units[Unit.Kind.INCOME_SUPPORT]
    coordinator = ctx.users["coordinator"]
    running, saved = created[2], created[4]
    payment_routes.save_payment_route(
        actor=coordinator,
        case_id=running.case_id,
        threat_id=running.pk,
        expected_version=0,
        data=RouteData(applied_on=today - timedelta(days=8), income_support_unit_id=unit.pk),
        today=today,
    )
    payment_routes.save_payment_route(
        actor=coordinator,
        case_id=saved.case_id,
        threat_id=saved.pk,
        expected_version=0,
        data=RouteData(
            applied_on=today - timedelta(days=40),
            income_support_unit_id=unit.pk,
            decision=PaymentRoute.Decision.GRANTED,
            decided_on=today - timedelta(days=33),
            settlement=PaymentRoute.Settlement.COMMITMENT,
            settled_on=today - timedelta(days=30),
            settled_amount=Decimal(16500),
            landlord_confirmed_on=today - timedelta(days=28),
        ),
        today=today,
    )
