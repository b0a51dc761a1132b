"""What eviction prevention shows on a case page: the threat panel, its timeline events
(signals, threat stages, contacts, interventions, deadlines) and the lines of the
decision summary a unit sees before accepting a handover. Listed in cases/case_page.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.permissions import AuthenticatedRequest
from cases.core.selectors import cases as case_selectors
from cases.core.timeline import TimelineEvent
from cases.models import Case, Contact, Deadline, EvictionThreat, Intervention, LandlordSignal

from . import selectors


def threat_panel(request: AuthenticatedRequest, case: Case) -> dict[str, Any] | None:
    threats = list(case.threats.order_by("-created_at", "-id"))
    may_write = case_selectors.can_write_case(request.user, case)
    if not threats and not (may_write and case.status == "open"):
        return None
    today = timezone.localdate()
    current = next((t for t in threats if not t.outcome), None)
    days_left = (
        (current.recovery_deadline - today).days if current and current.recovery_deadline else None
    )
    return {
        "threats": threats,
        "current": current,
        "days_left": days_left,
        "deadlines": selectors.upcoming_deadlines(case),
        "may_write": may_write and case.status == "open",
        "today": today,
    }


def timeline(request: AuthenticatedRequest, case: Case) -> Iterator[TimelineEvent]:
    for s in LandlordSignal.objects.filter(case=case).select_related("landlord"):
        yield TimelineEvent(
            when=s.received_on,
            kind="signal",
            title=_("Signal from %(landlord)s: %(kind)s")
            % {"landlord": s.landlord.display_name, "kind": s.get_kind_display()},
            detail=s.description,
            url=reverse("cases:signal", kwargs={"signal_id": s.pk}),
        )
    for t in EvictionThreat.objects.filter(case=case):
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
    for c in Contact.objects.filter(case=case).select_related("author"):
        reached = _("reached") if c.reached else _("attempted")
        yield TimelineEvent(
            when=c.on,
            kind="contact",
            title=f"{c.get_kind_display()} ({reached}), {c.author.get_full_name()}",
            detail=c.note,
        )
    for i in Intervention.objects.filter(case=case).select_related("author"):
        yield TimelineEvent(
            when=i.on,
            kind="intervention",
            title=f"{i.get_kind_display()}, {i.author.get_full_name()}",
            detail=i.note,
        )
    for d in Deadline.objects.filter(case=case):
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
    threat = selectors.current_threat(case)
    if threat is not None:
        yield _("Eviction threat"), threat.get_stage_display()
        if threat.recovery_deadline and not threat.outcome:
            yield _("Recovery deadline"), threat.recovery_deadline.isoformat()
        if threat.eviction_on and not threat.outcome:
            yield _("Eviction date"), threat.eviction_on.isoformat()
    upcoming = selectors.upcoming_deadlines(case, limit=3)
    if upcoming:
        yield (
            _("Upcoming deadlines"),
            ", ".join(f"{d.get_kind_display()} {d.due_on.isoformat()}" for d in upcoming),
        )
