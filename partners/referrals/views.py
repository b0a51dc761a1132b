"""Thin pages of referrals: propose one on a case, and see one (with what the partner is
told) and move it a step on. Every page logs its read of the case (the access log)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.hooks import How, record_read
from bokvar.forms import submitting
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_STAFF
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors

from ..models import Referral
from . import selectors, services
from .forms import ReferralForm, ReferralStepForm


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def referral_new(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    people = [(card.pk, card.name) for card in people_selectors.household_cards(request.user, case)]
    partners = [(p.pk, p.name) for p in selectors.partners_for_case(case)]
    form = ReferralForm(
        request.POST or None,
        partners=partners,
        people=people,
        initial={"person": case.household.head_id},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with submitting(form) as result:
            referral = services.propose_referral(
                actor=request.user,
                case_id=case.pk,
                data=services.ReferralData(
                    partner_id=data["partner"],
                    person_id=data["person"],
                    proposed_on=data["proposed_on"],
                    consent_on=data["consent_on"],
                    share_contact=data["share_contact"],
                    share_need=data["share_need"],
                    need=data["need"],
                ),
            )
        if result.ok:
            messages.success(request, _("The referral was recorded."))
            return redirect("partners:referral", referral_id=referral.pk)
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "partners/referral_form.html",
        {"form": form, "case": case, "title": _("New referral to a partner")},
        # A post that lands here was refused: the form names the field.
        status=400 if request.method == "POST" else 200,
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def referral_detail(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    referral = selectors.get_referral_for_user(request.user, referral_id)
    case = referral.case
    may_write = case_selectors.can_write_case(request.user, case)
    steps = [(s, Referral.Status(s).label) for s in services.NEXT[referral.status]]
    form = ReferralStepForm(
        request.POST or None, steps=steps, initial={"version": referral.version}
    )
    conflict = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with submitting(form) as result:
            services.advance_referral(
                actor=request.user,
                referral_id=referral.pk,
                expected_version=data["version"],
                status=data["status"],
                on=data["on"],
                reason=data["reason"],
                outcome=data["outcome"],
                outcome_note=data["outcome_note"],
            )
        if result.ok:
            messages.success(request, _("The referral was saved."))
            return redirect("partners:referral", referral_id=referral.pk)
        conflict = result.conflict
    record_read(request, obj=case, how=How.PAGE)
    # Free text about a household with a protected member the reader was not granted.
    hidden = people_selectors.Sight(request.user).hides_case(case)
    return render(
        request,
        "partners/referral_detail.html",
        {
            "referral": referral,
            "case": case,
            "hidden": hidden,
            "summary": [] if hidden else selectors.partner_summary(referral),
            "form": form if may_write and steps else None,
            "conflict": conflict,
            "steps": _steps(referral),
        },
        status=400 if request.method == "POST" else 200,
    )


def _steps(referral: Referral) -> list[tuple[str, object]]:
    """The steps taken, with their dates, in order."""
    S = Referral.Status
    answered = S.DECLINED if referral.status == S.DECLINED else S.ACCEPTED
    pairs = [
        (S.PROPOSED, referral.proposed_on),
        (S.SENT, referral.sent_on),
        (answered, referral.answered_on),
        (S.ATTENDED, referral.attended_on),
        (S.ENDED, referral.ended_on),
    ]
    return [(str(status.label), on) for status, on in pairs if on is not None]
