"""What handovers show on a case page: the handover panel and the timeline of each
handover (sent, accepted, returned, closed). Listed in cases/case_page.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from bokvar.models import User
from bokvar.permissions import AuthenticatedRequest
from cases.core.timeline import TimelineEvent
from cases.models import Case, Handover

from . import selectors


def handover_panel(request: AuthenticatedRequest, case: Case) -> dict[str, Any] | None:
    handovers = selectors.handovers_of_case(case)
    may_send = selectors.may_hand_over(request.user, case)
    may_request = bool(selectors.requesting_units(request.user, case))
    if not (handovers or may_send or may_request):
        return None
    return {"handovers": handovers, "may_send": may_send, "may_request": may_request}


def _who(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def timeline(request: AuthenticatedRequest, case: Case) -> Iterator[TimelineEvent]:
    for h in selectors.handovers_of_case(case):
        url = reverse("cases:handover", kwargs={"handover_id": h.pk})
        what = _("%(kind)s from %(from)s to %(to)s") % {
            "kind": h.get_kind_display(),
            "from": h.from_unit.name,
            "to": h.to_unit.name,
        }
        yield TimelineEvent(
            when=h.sent_at,
            kind="handover",
            title=_("Sent: %(what)s") % {"what": what},
            detail=_sent_by(h),
            url=url,
        )
        if h.accepted_at:
            yield TimelineEvent(
                when=h.accepted_at,
                kind="handover",
                title=_("Accepted: %(what)s") % {"what": what},
                detail=_who(h.accepted_by),
                url=url,
            )
        if h.returned_at:
            yield TimelineEvent(
                when=h.returned_at,
                kind="handover",
                title=_("Returned: %(what)s") % {"what": what},
                detail=_who(h.returned_by),
                url=url,
            )
        if h.closed_at:
            yield TimelineEvent(
                when=h.closed_at,
                kind="handover",
                title=_("Closed: %(what)s") % {"what": what},
                detail=_who(h.closed_by),
                url=url,
            )


def _sent_by(h: Handover) -> str:
    return _who(h.sent_by)
