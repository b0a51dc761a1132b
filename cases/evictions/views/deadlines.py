"""My deadlines: the open deadlines of the cases a user answers for, overdue first."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.hooks import How, record_reads
from bokvar.counting import known_badge
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_STAFF

from .. import presenters, selectors
from ..page import date_lines
from ..services import deadlines, payment_routes

# The most deadlines the page lists.
MOST = 200


@role_required(*CASE_STAFF)
@require_http_methods(["GET"])
def my_deadlines(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = selectors.my_deadline_rows(request.user, most=MOST)
    # The page lists what its navigation badge counts: the badge from these rows.
    badge = selectors.deadline_badge_of_rows(rows, most=MOST, today=today)
    if badge is not None:
        known_badge(request, "deadlines", badge)
    # The lines of the threat panel: the reminder e-mails' words with calendar and
    # working days, urgent eviction dates as prominent as recovery deadlines (children
    # said), eviction dates before the end of the recovery period flagged.
    for line in date_lines(rows, today=today):
        d = line["deadline"]
        d.status, d.working_days = line["status"], line["working_days"]
        d.urgent, d.children = line["urgent"], line["children"]
        d.eviction_before_recovery = line["eviction_before_recovery"]
    # Deadlines (eviction dates, recovery deadlines) are the cases' data: one read per case.
    cases_shown = {d.case_id: d.case for d in rows}
    # A row an income-support unit sees only for its application links nowhere it may
    # not go: the case number and the responsible unit, to know whom to call.
    openable = selectors.openable_case_ids(request.user, cases_shown)
    for d in rows:
        d.case_openable = d.case_id in openable
    # The unit's next step and the day it is in time until: what it needs to act on.
    routes = selectors.payment_routes_of_threats(
        {d.threat_id for d in rows if not d.case_openable and d.threat_id}
    )
    for d in rows:
        route = routes.get(d.threat_id) if d.threat_id else None
        d.route_step = payment_routes.next_step_due(route.threat, route) if route else None
    if cases_shown:
        record_reads(request, objs=list(cases_shown.values()), how=How.PAGE)
    overdue = [d for d in rows if d.due_on < today]
    upcoming = [d for d in rows if d.due_on >= today]
    token = csrf_input(request)
    return render(
        request,
        "cases/evictions/my_deadlines.html",
        {
            "overdue": overdue,
            "upcoming": upcoming,
            "today": today,
            # Written in Python (presenters.deadline_rows): a row template included once
            # a row was most of the page's template (issue 22).
            "overdue_rows": presenters.deadline_rows(
                overdue, overdue=True, today=today, csrf_input=token
            ),
            "upcoming_rows": presenters.deadline_rows(
                upcoming, overdue=False, today=today, csrf_input=token
            ),
        },
    )


@role_required(*CASE_STAFF)
@require_POST
def deadline_done(request: AuthenticatedRequest, deadline_id: int) -> HttpResponse:
    deadline = deadlines.complete_deadline(actor=request.user, deadline_id=deadline_id)
    messages.success(request, _("The deadline was marked as done."))
    if request.POST.get("next") == "case":
        return redirect("cases:detail", case_id=deadline.case_id)
    return redirect("cases:deadlines")
