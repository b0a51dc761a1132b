"""The start page: what needs the user today, by role (home.today), then their roles."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from audit.hooks import How, record_reads
from bokvar.models import Membership

from . import today as today_panels


@login_required
def home(request):
    today = timezone.localdate()
    panels = today_panels.panels_for(request.user, today=today)
    # The deadlines, placements and names shown are the cases' data: one read per case,
    # in one INSERT, as on the lists the items come from.
    shown = today_panels.cases_shown(panels)
    if shown:
        record_reads(request, objs=shown, how=How.PAGE)
    memberships = (
        Membership.objects.filter(user=request.user).select_related("unit").order_by("unit__name")
    )
    return render(
        request,
        "home/home.html",
        {
            "panels": {panel.key: panel for panel in panels},
            "has_panels": bool(panels),
            "memberships": memberships,
            "today": today,
        },
    )
