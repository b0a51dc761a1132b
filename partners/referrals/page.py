"""The referrals on a case page: the "partners" section and timeline entries (filled in
`cases/case_page.py`'s slots from `partners/apps.py`)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse
from django.utils.translation import gettext as _

from cases.core.selectors import cases as case_selectors
from cases.core.selectors.rows import CaseRows
from cases.core.timeline import TimelineEvent

from ..models import Referral
from . import selectors

# `selectors.referrals_of_case`, read once per request (the panel and the timeline both
# show them), with the case's other lists (partners/apps.py adds it to the case page's).
REFERRALS = CaseRows(
    "referrals",
    lambda request, of: Referral.objects.filter(case_id=of("pk")).order_by("-proposed_on", "-id"),
    related=("partner", "person", "referred_by"),
)


def case_referrals(request, case) -> list[Referral]:
    return REFERRALS.for_page(request, case)


def case_panel(request, case) -> dict | None:
    """Shown to the case staff only; one query for the referrals however many."""
    if not selectors.may_refer(request.user):
        return None
    return {
        "referrals": case_referrals(request, case),
        "may_refer": case_selectors.may_write(request, case),
    }


def timeline(request, case) -> Iterator[TimelineEvent]:
    if not selectors.may_refer(request.user):
        return
    S = Referral.Status
    for r in case_referrals(request, case):
        url = reverse("partners:referral", kwargs={"referral_id": r.pk})
        answered = (
            (_("Referral declined by %(partner)s"), r.decline_reason)
            if r.status == S.DECLINED
            else (_("Referral accepted by %(partner)s"), "")
        )
        steps = [
            (r.proposed_on, _("Referral to %(partner)s proposed"), ""),
            (r.sent_on, _("Referral to %(partner)s sent"), ""),
            (r.answered_on, *answered),
            (r.attended_on, _("First attended %(partner)s"), ""),
            (r.ended_on, _("Referral to %(partner)s ended: %(outcome)s"), r.outcome_note),
        ]
        names = {"partner": r.partner.name, "outcome": r.get_outcome_display()}
        for when, title, detail in steps:
            if when is not None:
                # Free texts are withheld by the case page for a protected household.
                yield TimelineEvent(
                    when=when, kind="referral", title=title % names, detail=detail, url=url
                )
