"""What eviction prevention shows on a case page: the threat panel, its timeline events
(signals, threat stages, contacts, interventions, deadlines) and the lines of the
decision summary a unit sees before accepting a handover. Listed in cases/case_page.py."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.conf import setting
from bokvar.legal_calendar import working_days_between
from bokvar.permissions import AuthenticatedRequest
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors
from cases.core.selectors.rows import CaseRows
from cases.core.timeline import TimelineEvent
from cases.models import (
    Case,
    Contact,
    Deadline,
    EvictionThreat,
    Intervention,
    LandlordSignal,
    PaymentRoute,
)
from cases.models.landlord_signals import MISCONDUCT_KINDS

from . import presenters, selectors
from .services import deadlines, payment_routes
from .services.landlord_signals import misconduct_doubts, terminated_on

# --- What the sections read, once per request (cases.core.selectors.rows) ---------------
# The threat panel, the payment route, the first screen and the timeline all show the
# case's threats, deadlines and signals: each list is read once, and the case page reads
# them all with the case's other lists in one query (`cases/case_page.py` ROWS).

THREATS = CaseRows(
    "threats",
    lambda request, of: EvictionThreat.objects.filter(case_id=of("pk")).order_by(
        "-created_at", "-id"
    ),
)
DEADLINES = CaseRows(
    "deadlines",
    lambda request, of: Deadline.objects.filter(case_id=of("pk")).order_by("due_on", "id"),
    related=("threat",),
)
SIGNALS = CaseRows(
    "signals",
    lambda request, of: LandlordSignal.objects.filter(case_id=of("pk")).order_by(
        "-received_on", "-id"
    ),
    related=("landlord",),
)
PAYMENT_ROUTES = CaseRows(
    "payment_routes",
    lambda request, of: PaymentRoute.objects.filter(threat__case_id=of("pk")).order_by("id"),
    related=("income_support_unit",),
)
CONTACTS = CaseRows(
    "contacts",
    lambda request, of: Contact.objects.filter(case_id=of("pk")).order_by("-on", "-id"),
    related=("author",),
)
INTERVENTIONS = CaseRows(
    "interventions",
    lambda request, of: Intervention.objects.filter(case_id=of("pk")).order_by("-on", "-id"),
    related=("author",),
)
ROWS = [THREATS, DEADLINES, SIGNALS, PAYMENT_ROUTES, CONTACTS, INTERVENTIONS]


def case_threats(request: AuthenticatedRequest, case: Case) -> list[EvictionThreat]:
    """The case's threats, newest first."""
    return THREATS.for_page(request, case)


def current_threat(request: AuthenticatedRequest, case: Case) -> EvictionThreat | None:
    """The newest threat without an outcome (`selectors.current_threat` is the newest)."""
    return next((t for t in case_threats(request, case) if not t.outcome), None)


def case_deadlines(request: AuthenticatedRequest, case: Case) -> list[Deadline]:
    """Every deadline of the case, soonest first, with its threat."""
    return DEADLINES.for_page(request, case)


def open_deadlines(request: AuthenticatedRequest, case: Case, *, limit: int = 5) -> list[Deadline]:
    """`selectors.upcoming_deadlines` from the deadlines already read: the open ones,
    soonest first."""
    return [d for d in case_deadlines(request, case) if d.done_at is None][:limit]


def case_signals(request: AuthenticatedRequest, case: Case) -> list[LandlordSignal]:
    """The landlord signals linked to the case, with their landlord."""
    return SIGNALS.for_page(request, case)


def case_payment_routes(request: AuthenticatedRequest, case: Case) -> list[PaymentRoute]:
    """The payment routes of the case's threats, with the income-support unit."""
    return PAYMENT_ROUTES.for_page(request, case)


def threat_panel(request: AuthenticatedRequest, case: Case) -> dict[str, Any] | None:
    threats = case_threats(request, case)
    may_write = case_selectors.may_write(request, case)
    if not threats and not (may_write and case.status == "open"):
        return None
    today = timezone.localdate()
    current = next((t for t in threats if not t.outcome), None)
    open_dates = date_lines(open_deadlines(request, case), today=today)
    has_children = case.household_id is not None and bool(
        people_selectors.household_children(request, case)
    )
    for line in open_dates:
        line["children"] = has_children and line["urgent"]
    # Only an open deadline row is pending: a recovery deadline closed by a payment in
    # time, an outcome or its expiry is never shown as counting down.
    recovery = next(
        (
            line
            for line in open_dates
            if line["deadline"].kind == Deadline.Kind.RECOVERY
            and current is not None
            and line["deadline"].threat_id == current.pk
        ),
        None,
    )
    return {
        "threats": threats,
        "current": current,
        "recovery": recovery,
        # The recovery deadline exists but its row is closed (paid in time, marked done or
        # expired): said as closed, never as counting down nor as not started.
        "recovery_closed": current is not None
        and current.recovery_deadline is not None
        and recovery is None,
        "paid_in_time": current is not None
        and current.paid_on is not None
        and current.recovery_deadline is not None
        and current.paid_on <= current.recovery_deadline,
        "days_left": recovery["days"] if recovery else None,
        "deadlines": open_dates,
        "eviction_before_recovery": current is not None and eviction_before_recovery_ends(current),
        # A termination for disturbance, complaints or neglect without the landlord's
        # warning and notice to the board may not hold (12 kap. 25 §, 43 §).
        "misconduct_doubts": misconduct_doubts(
            [s for s in case_signals(request, case) if s.kind in MISCONDUCT_KINDS],
            terminated_on=terminated_on(current),
        )
        if current is not None
        else [],
        "may_write": may_write and case.status == "open",
        "today": today,
    }


def eviction_before_recovery_ends(threat: EvictionThreat) -> bool:
    """An eviction date on or before the recovery deadline cannot be carried out: the
    tenant may still recover the lease by paying up to that day (JB 12 kap. 44 §)."""
    return bool(
        not threat.outcome
        and threat.eviction_on
        and threat.recovery_deadline
        and threat.eviction_on <= threat.recovery_deadline
    )


def next_deadline(request: AuthenticatedRequest, case: Case) -> dict[str, Any]:
    """The case's next open deadline, for the first screen of the case page (issue 19,
    point 5): the soonest, overdue first, as the threat panel words it."""
    lines = date_lines(open_deadlines(request, case, limit=1), today=timezone.localdate())
    line = lines[0] if lines else None
    return {"line": line, "html": presenters.next_deadline(line)}


def date_lines(rows: Iterable[Deadline], *, today: date) -> list[dict[str, Any]]:
    """Open deadlines, soonest first, each with its days left in calendar and working
    days in the wording the reminder e-mails use (`deadlines.status_text`). An eviction
    date within CHILD_EVICTION_ALERT_DAYS (14) is urgent, as prominent as a recovery
    deadline. The threat panel and "My deadlines" both show these lines."""
    window = setting("CHILD_EVICTION_ALERT_DAYS")
    lines: list[dict[str, Any]] = []
    for d in sorted(rows, key=lambda d: (d.due_on, d.pk)):
        days = (d.due_on - today).days
        urgent = d.kind == Deadline.Kind.RECOVERY or (
            d.kind == Deadline.Kind.EVICTION and days <= window
        )
        lines.append(
            {
                "deadline": d,
                "days": days,
                "working_days": working_days_between(today, d.due_on),
                "status": deadlines.status_text(d.due_on, today=today),
                "urgent": urgent,
                # Set by the caller, who knows the household (annotated on "My deadlines").
                "children": bool(getattr(d, "has_children", False)) and urgent,
                "eviction_before_recovery": d.kind == Deadline.Kind.EVICTION
                and d.threat is not None
                and eviction_before_recovery_ends(d.threat),
            }
        )
    return lines


def timeline(request: AuthenticatedRequest, case: Case) -> Iterator[TimelineEvent]:
    for s in case_signals(request, case):
        yield TimelineEvent(
            when=s.received_on,
            kind="signal",
            title=_("Signal from %(landlord)s: %(kind)s")
            % {"landlord": s.landlord.display_name, "kind": s.get_kind_display()},
            detail=s.description,
            url=reverse("cases:signal", kwargs={"signal_id": s.pk}),
        )
    for t in case_threats(request, case):
        stages = [
            (t.arrears_notice_on, _("Rent-arrears notice")),
            (
                t.termination_served_on,
                _("Notice of termination served (defective: the recovery period has not started)")
                if t.termination_notice == EvictionThreat.NoticeCheck.DEFECTIVE
                else _("Notice of termination served"),
            ),
            (t.board_notified_on, _("Notice reached the social welfare board")),
            (t.application_on, _("Application: %(to)s") % {"to": t.get_application_to_display()}),
            (t.paid_on, _("Payment made")),
            (t.concluded_on, _("Outcome: %(outcome)s") % {"outcome": t.get_outcome_display()}),
        ]
        for when, title in stages:
            if when:
                yield TimelineEvent(when=when, kind="stage", title=title)
    for c in CONTACTS.for_page(request, case):
        reached = _("reached") if c.reached else _("attempted")
        yield TimelineEvent(
            when=c.on,
            kind="contact",
            title=f"{c.get_kind_display()} ({reached}), {c.author.get_full_name()}",
            detail=c.note,
        )
    may_write = case_selectors.may_write(request, case)
    for i in INTERVENTIONS.for_page(request, case):
        outcome = f" {_('Outcome')}: {i.outcome}" if i.outcome else ""
        yield TimelineEvent(
            when=i.on,
            kind="intervention",
            title=f"{i.get_kind_display()} ({i.get_status_display().lower()}), "
            f"{i.author.get_full_name()}",
            detail=f"{i.note}{outcome}".strip(),
            # Who may write the case moves the intervention on from here.
            url=reverse("cases:intervention_edit", args=[case.pk, i.pk]) if may_write else "",
        )
    for d in case_deadlines(request, case):
        done = f" ({_('done')})" if d.done_at else ""
        yield TimelineEvent(
            when=d.due_on,
            kind="deadline",
            title=f"{d.get_kind_display()}{done}",
            detail=d.note,
            is_deadline=True,
        )


def summary(case: Case) -> Iterator[tuple[str, str]]:
    """For a unit deciding on a handover: the threat's stage and what is due next."""
    threat, upcoming = selectors.current_threat_and_upcoming(case, limit=3)
    if threat is not None:
        yield _("Eviction threat"), threat.get_stage_display()
        if threat.recovery_deadline and not threat.outcome:
            yield _("Recovery deadline"), threat.recovery_deadline.isoformat()
        if threat.eviction_on and not threat.outcome:
            yield _("Eviction date"), threat.eviction_on.isoformat()
    if upcoming:
        yield (
            _("Upcoming deadlines"),
            ", ".join(f"{d.get_kind_display()} {d.due_on.isoformat()}" for d in upcoming),
        )


# --- The payment route (issue 15, point 7) ----------------------------------------------


def payment_route_panel(request: AuthenticatedRequest, case: Case) -> dict[str, Any] | None:
    """The current threat's payment route, each step against the recovery deadline. Left
    out when there is no open threat. Three queries whatever the route holds."""
    current = current_threat(request, case)
    if current is None:
        return None
    route = next((r for r in case_payment_routes(request, case) if r.threat_id == current.pk), None)
    deadline_open = any(
        d.threat_id == current.pk and d.kind == Deadline.Kind.RECOVERY and d.done_at is None
        for d in case_deadlines(request, case)
    )
    unit = route.income_support_unit if route else None
    steps = payment_routes.route_steps(
        current,
        route,
        today=timezone.localdate(),
        deadline_open=deadline_open,
        unit_name=unit.name if unit else "",
    )
    return {
        "threat": current,
        "route": route,
        "steps": steps,
        "late": any(step.warning for step in steps),
        "settled_in_time": bool(
            route
            and current.recovery_deadline
            and route.settles_by(current.recovery_deadline, current.recovery_amount)
        ),
        "may_write": case.status == "open" and case_selectors.may_write(request, case),
    }


def payment_route_timeline(request: AuthenticatedRequest, case: Case) -> Iterator[TimelineEvent]:
    """The route's steps as they happened (the amount stays on the threat page)."""
    for r in case_payment_routes(request, case):
        if r.applied_on:
            unit = r.income_support_unit.name if r.income_support_unit else ""
            yield TimelineEvent(
                when=r.applied_on,
                kind="stage",
                title=_("Income-support application to %(unit)s") % {"unit": unit},
            )
        if r.decided_on:
            yield TimelineEvent(
                when=r.decided_on,
                kind="stage",
                title=_("Income-support decision: %(decision)s")
                % {"decision": r.get_decision_display()},
            )
        if r.settled_on:
            yield TimelineEvent(
                when=r.settled_on, kind="stage", title=str(r.get_settlement_display())
            )
        if r.landlord_confirmed_on:
            yield TimelineEvent(
                when=r.landlord_confirmed_on,
                kind="stage",
                title=_("The landlord confirmed the payment or commitment"),
            )
