"""What handovers show on a case page: the handover panel and the timeline of each
handover (sent, accepted, returned, closed). Listed in cases/case_page.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from bokvar.models import User
from bokvar.permissions import AuthenticatedRequest
from cases.core.selectors.rows import CaseRows
from cases.core.timeline import TimelineEvent
from cases.models import Case, Handover

from . import presenters, selectors

# `selectors.handovers_of_case`, read once per request (the panel and the timeline both
# show them), with the case's other lists (`cases/case_page.py` ROWS).
HANDOVERS = CaseRows(
    "handovers",
    lambda request, of: Handover.objects.filter(case_id=of("pk")).order_by("-sent_at", "-id"),
    related=(
        "from_unit",
        "to_unit",
        "sent_by",
        "seen_by",
        "accepted_by",
        "returned_by",
        "closed_by",
    ),
)


# `selectors.requesting_units` (when the case is open), read with the case's other lists.
REQUESTING_UNITS = CaseRows(
    "requesting_units",
    lambda request, of: selectors.requesting_units_of(
        request.user, of("responsible_unit_id"), of("responsible_unit__district_id")
    ),
)


def case_handovers(request: AuthenticatedRequest, case: Case) -> list[Handover]:
    return HANDOVERS.for_page(request, case)


def handover_panel(request: AuthenticatedRequest, case: Case) -> dict[str, Any] | None:
    handovers = case_handovers(request, case)
    may_send = selectors.may_hand_over(request.user, case)
    may_request = bool(REQUESTING_UNITS.for_page(request, case)) and case.status == Case.Status.OPEN
    if not (handovers or may_send or may_request):
        return None
    panel = {"handovers": handovers, "may_send": may_send, "may_request": may_request}
    return panel | {"html": presenters.case_section(panel, case.pk)}


def _who(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else ""


def timeline(request: AuthenticatedRequest, case: Case) -> Iterator[TimelineEvent]:
    for h in case_handovers(request, case):
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
