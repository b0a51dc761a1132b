"""The life of one eviction threat, planned when its case is generated so the case's
status and outcome agree with it (a closed case has a concluded threat, and the
case's outcome is the threat's).

The dates follow the workflow's order (cases/evictions/services/threats.py): arrears notice ≤
termination served and board notified ≤ application ≤ eviction date, the payment after
the arrears notice; dates of what has happened are not in the future, the eviction
date may be; an outcome has its date. Where the next date would lie ahead, the threat
stops at the stage it has reached and stays open.

Shares (of all threats, roughly as in the seed documents): a third settled at the
arrears stage, about a quarter recovered by payment within the three weeks, the rest
applied for at the Enforcement Authority or the rent tribunal; of those about half get
an eviction date, and about one in four of these is evicted (some 5–6 % of all threats).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from cases.evictions.services.threats import recovery_deadline


@dataclass
class ThreatPlan:
    arrears_notice_on: date
    termination_served_on: date | None = None
    termination_notice: str = ""
    board_notified_on: date | None = None
    recovery_deadline: date | None = None
    application_to: str = ""
    application_on: date | None = None
    eviction_on: date | None = None
    paid_on: date | None = None
    outcome: str = ""
    concluded_on: date | None = None


def _pick(rng, weighted: list[tuple[str, float]]) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][0]


def plan_threat(rng, *, opened: date, today: date) -> ThreatPlan:
    plan = ThreatPlan(arrears_notice_on=min(opened - timedelta(days=rng.randint(0, 20)), today))

    def conclude(outcome: str, on: date) -> ThreatPlan:
        if on <= today:
            plan.outcome, plan.concluded_on = outcome, on
        return plan

    if rng.random() < 0.3:  # settled before a notice of termination
        outcome = _pick(
            rng, [("lease_kept", 0.85), ("moved_to_other_housing", 0.05)] + [("other", 0.1)]
        )
        return conclude(
            outcome, max(opened, plan.arrears_notice_on + timedelta(days=rng.randint(20, 90)))
        )
    served = plan.arrears_notice_on + timedelta(days=rng.randint(10, 40))
    if served > today:
        return plan
    board = served + timedelta(days=rng.randint(-3, 5))
    board = min(max(board, plan.arrears_notice_on), today)
    plan.termination_served_on, plan.board_notified_on = served, board
    plan.termination_notice = "correct" if rng.random() < 0.7 else ""
    # The workflow's own rule and configured period, not a copy of them.
    deadline = recovery_deadline(served, board, plan.termination_notice)
    plan.recovery_deadline = deadline
    if deadline is None:  # only for a defective notice, which is never generated here
        return plan
    if rng.random() < 0.35:  # the arrears paid within the recovery period
        paid = served + timedelta(days=rng.randint(0, (deadline - served).days))
        if paid > today:
            return plan
        plan.paid_on = paid
        return conclude("recovered_by_payment", paid + timedelta(days=rng.randint(0, 7)))
    application = deadline + timedelta(days=rng.randint(1, 30))
    if application > today:
        return plan
    plan.application_on = application
    plan.application_to = "enforcement" if rng.random() < 0.8 else "rent_tribunal"
    if rng.random() < 0.45:  # withdrawn or settled before an eviction date
        outcome = _pick(rng, [("lease_kept", 0.6), ("moved_to_other_housing", 0.3), ("other", 0.1)])
        return conclude(outcome, application + timedelta(days=rng.randint(10, 60)))
    decided = application + timedelta(days=rng.randint(14, 40))
    if decided > today:
        return plan
    plan.eviction_on = decided + timedelta(days=rng.randint(14, 60))
    outcome = _pick(rng, [("evicted", 0.25), ("lease_kept", 0.35), ("moved_to_other_housing", 0.4)])
    if outcome == "evicted":
        return conclude(outcome, plan.eviction_on)
    return conclude(
        outcome, decided + timedelta(days=rng.randint(0, (plan.eviction_on - decided).days))
    )


def case_closing(rng, plan: ThreatPlan, *, opened: date, today: date) -> tuple[date | None, str]:
    """(closed_on, outcome) of an eviction-prevention case: most cases close some weeks
    after their threat is concluded, with its outcome; none closes with the threat open."""
    if not plan.outcome or rng.random() < 0.15:
        return None, ""
    closed = max(plan.concluded_on, opened) + timedelta(days=rng.randint(0, 45))
    return (closed, plan.outcome) if closed <= today else (None, "")


def homeless_closing(rng, *, opened: date, today: date) -> tuple[date | None, str]:
    if rng.random() < 0.6:
        return None, ""
    closed = opened + timedelta(days=rng.randint(60, 500))
    if closed > today:
        return None, ""
    return closed, "housed" if rng.random() < 0.7 else "other"
