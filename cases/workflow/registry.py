"""What the workflow adds to the case page, the navigation and the decision summary."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bokvar.models import Role
from bokvar.navigation import NavItem
from bokvar.navigation import register as register_nav
from cases.core.selectors import cases as case_selectors
from cases.models import Contact, Deadline, EvictionThreat, Intervention, LandlordSignal
from cases.panels import Panel, TimelineEvent, register_panel, register_summary, register_timeline

from . import selectors


def threat_panel(request, case) -> dict | None:
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


def timeline(request, case):
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


def summary(case):
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


def register() -> None:
    register_panel(
        Panel(
            key="eviction_threat",
            order=10,
            template="cases/workflow/threat_panel.html",
            context=threat_panel,
        )
    )
    register_timeline("workflow", timeline)
    register_summary("workflow", summary)
    register_nav(
        NavItem(
            key="signals",
            label=gettext_lazy("Signals"),
            url_name="cases:signals",
            roles=frozenset({Role.COORDINATOR}),
            order=12,
            badge=selectors.untriaged_count,
        )
    )
    register_nav(
        NavItem(
            key="deadlines",
            label=gettext_lazy("My deadlines"),
            url_name="cases:deadlines",
            roles=frozenset({Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER}),
            order=14,
            badge=selectors.my_deadline_count,
        )
    )
    register_nav(
        NavItem(
            key="landlords",
            label=gettext_lazy("Landlords"),
            url_name="cases:landlords",
            roles=frozenset({Role.COORDINATOR, Role.ADMINISTRATOR}),
            order=16,
        )
    )
