"""Demo handovers between the demo units: pending, accepted, returned, overdue, and one
that escalates on the next working day. Idempotent: nothing is added when handovers
already exist."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from bokvar.conf import setting
from bokvar.demo import DemoContext
from bokvar.legal_calendar import add_working_days
from bokvar.models import Unit
from cases.models import Case, Handover

from .services import deciding, sending


def _open_case(unit: Unit, skip: set[int]) -> Case | None:
    return (
        Case.objects.filter(responsible_unit=unit, status=Case.Status.OPEN)
        .exclude(pk__in=skip)
        .order_by("id")
        .first()
    )


def days_before_escalation(today: date) -> int:
    """How many days ago a handover was sent that is still unanswered in time today and
    escalates on the next working day (the escalation scan's rule), so a first demo
    shows one about to escalate whatever the weekday."""
    per_step = setting("HANDOVER_ESCALATION_WORKING_DAYS")
    days = 0
    while add_working_days(today - timedelta(days=days + 1), per_step) > today:
        days += 1
    return days


def seed(ctx: DemoContext) -> None:
    if Handover.objects.exists():
        ctx.log("Handovers: already present, left as they are.")
        return
    coordinator, caseworker, caseworker2 = (
        ctx.users["coordinator"],
        ctx.users["caseworker"],
        ctx.users["caseworker2"],
    )
    adult, income = ctx.units[Unit.Kind.ADULT], ctx.units[Unit.Kind.INCOME_SUPPORT]
    team = ctx.units[Unit.Kind.HOUSING_TEAM]
    now = timezone.now()
    about_to_escalate = days_before_escalation(timezone.localdate())
    used: set[int] = set()
    plans = [
        # (from unit, sender, to unit, kind, days ago, outcome)
        (adult, caseworker, income, Handover.Kind.TRANSFER, 1, "pending"),
        # Escalates on the next working day (DESIGN §1.4: the classic way a case is lost).
        (team, coordinator, adult, Handover.Kind.CONSULTATION, about_to_escalate, "pending"),
        (adult, caseworker, team, Handover.Kind.CONSULTATION, 3, "accepted"),
        (team, coordinator, income, Handover.Kind.TRANSFER, 5, "returned"),
        (income, caseworker2, adult, Handover.Kind.TRANSFER, 8, "pending"),  # overdue
        (team, coordinator, adult, Handover.Kind.TRANSFER, 10, "accepted"),
    ]
    made = 0
    for from_unit, sender, to_unit, kind, days_ago, outcome in plans:
        case = _open_case(from_unit, used)
        if case is None:
            continue
        used.add(case.pk)
        handover, _created = sending.send_handover(
            actor=sender,
            case_id=case.pk,
            kind=kind,
            to_unit=to_unit,
            reason="Hushållet behöver stöd som vår enhet inte kan ge.",
            expectations="Ta kontakt med hushållet inom en vecka.",
            urgency=Handover.Urgency.HIGH if days_ago > 5 else Handover.Urgency.NORMAL,
            now=now - timedelta(days=days_ago),
        )
        decider = {adult: caseworker, income: caseworker2, team: coordinator}[to_unit]
        decided_at = now - timedelta(days=days_ago) + timedelta(hours=20)
        if outcome == "accepted":
            deciding.accept_handover(actor=decider, handover_id=handover.pk, now=decided_at)
        elif outcome == "returned":
            deciding.return_handover(
                actor=decider,
                handover_id=handover.pk,
                reason="Hushållet har inget försörjningsstöd hos oss; kontakta vuxenenheten.",
                now=decided_at,
            )
        made += 1
    ctx.log(f"Handovers: {made} between the demo units (pending, accepted, returned, overdue).")
