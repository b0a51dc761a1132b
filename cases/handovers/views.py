"""Handover pages: the unit inbox, a handover's decision summary, sending from a case
and deciding. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.hooks import How, record_read, record_reads
from bokvar.forms import submitting
from bokvar.models import Unit
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_STAFF
from cases import case_page
from cases.core.selectors import cases as case_selectors
from cases.core.selectors.people import grantable_protected_people
from cases.models import Handover

from . import presenters, selectors
from .forms import AcceptForm, RequestForm, ReturnForm, SendForm
from .services import deciding, sending


@role_required(*CASE_STAFF)
@require_http_methods(["GET"])
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    waiting, returned = selectors.inbox_page(request.user)
    # The case numbers and deadlines are the cases' data: one read per case listed.
    cases_shown = {row.handover.case_id: row.handover.case for row in waiting}
    cases_shown.update({h.case_id: h.case for h in returned})
    if cases_shown:
        record_reads(request, objs=list(cases_shown.values()), how=How.PAGE)
    # Kinds and urgencies by name, each translated once a page (`get_kind_display` and
    # `get_urgency_display` translated every choice for every row: issue 22).
    kinds = {value: str(label) for value, label in Handover.Kind.choices}
    urgencies = {value: str(label) for value, label in Handover.Urgency.choices}
    waiting_items = [
        {
            "row": row,
            "kind": kinds.get(row.handover.kind, row.handover.kind),
            "urgency": urgencies.get(row.handover.urgency, row.handover.urgency),
        }
        for row in waiting
    ]
    returned_items = [{"h": h, "kind": kinds.get(h.kind, h.kind)} for h in returned]
    return render(
        request,
        "cases/handovers/inbox.html",
        {
            "waiting": waiting_items,
            "waiting_rows": presenters.inbox_waiting_rows(waiting_items),
            "returned": returned_items,
            "returned_rows": presenters.inbox_returned_rows(returned_items),
            "today": timezone.localdate(),
        },
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET"])
def handover_detail(request: AuthenticatedRequest, handover_id: int) -> HttpResponse:
    handover = selectors.get_handover_for_user(request.user, handover_id, with_case_sight=True)
    # Read with the handover (mark_seen below reads it again, without them).
    may_open_case = getattr(handover, "case_visible", False)
    withheld = getattr(handover, "case_hidden", True)
    if handover.seen_at is None and handover.status == Handover.Status.PENDING:
        # Only a pending handover nobody has opened is marked (locked, read again).
        handover = deciding.mark_seen(actor=request.user, handover_id=handover.pk)
    # The decision summary is case data too (household, threat), so the read is recorded.
    record_read(request, obj=handover.case, how=How.PAGE)
    pending = handover.status == Handover.Status.PENDING
    summary = selectors.decision_summary(handover, lines=case_page.summary_for(handover.case))
    return render(
        request,
        "cases/handovers/detail.html",
        {
            "handover": handover,
            # The reason, expectations and return reason are free text about the household.
            "withheld": withheld,
            "summary": summary,
            # The heading, facts and summary, written in Python (issue 22).
            "facts": presenters.handover_facts(
                handover=handover, summary=summary, withheld=withheld
            ),
            "may_open_case": may_open_case,
            "may_decide": pending and selectors.may_decide(request.user, handover),
            "may_close": handover.kind == Handover.Kind.CONSULTATION
            and handover.status == Handover.Status.ACCEPTED
            and selectors.may_close(request.user, handover),
            "may_acknowledge": handover.status == Handover.Status.RETURNED
            and handover.return_acknowledged_at is None
            and selectors.may_acknowledge(request.user, handover),
            "return_form": ReturnForm(),
            "accept_form": (
                AcceptForm(
                    takers=selectors.takers(handover), takers_key=selectors.takers_key(handover)
                )
                if pending
                else None
            ),
            "may_revoke_grant": deciding.may_revoke_protected_grant(request.user, handover),
        },
    )


def _decided(
    request: AuthenticatedRequest, handover_id: int, action: Callable[[], None]
) -> HttpResponse:
    try:
        action()
    except deciding.HandoverConflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("cases:handover", handover_id=handover_id)


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def handover_accept(request: AuthenticatedRequest, handover_id: int) -> HttpResponse:
    """Accepting asks who in the unit takes the case; a missing or wrong choice answers
    400 with the form and the field's error."""
    handover = selectors.get_handover_for_user(request.user, handover_id, action="decide")
    form = AcceptForm(
        request.POST if request.method == "POST" else None, takers=selectors.takers(handover)
    )
    if request.method == "POST" and form.is_valid():
        taker = form.cleaned_data["taken_by"]

        def act() -> None:
            deciding.accept_handover(actor=request.user, handover_id=handover_id, taken_by=taker)
            messages.success(request, _("The handover was accepted."))

        return _decided(request, handover_id, act)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "cases/handovers/accept.html", {"handover": handover, "form": form}, status=status
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def handover_return(request: AuthenticatedRequest, handover_id: int) -> HttpResponse:
    handover = selectors.get_handover_for_user(request.user, handover_id, action="decide")
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with submitting(form) as result:
                deciding.return_handover(
                    actor=request.user, handover_id=handover.pk, reason=form.cleaned_data["reason"]
                )
        except deciding.HandoverConflict as exc:
            messages.error(request, exc.message)
            return redirect("cases:handover", handover_id=handover.pk)
        if result.ok:
            messages.success(request, _("The handover was returned to the sender."))
            return redirect("cases:handovers")
    return render(request, "cases/handovers/return.html", {"handover": handover, "form": form})


@role_required(*CASE_STAFF)
@require_POST
def handover_close(request: AuthenticatedRequest, handover_id: int) -> HttpResponse:
    selectors.get_handover_for_user(request.user, handover_id, action="close")

    def act() -> None:
        deciding.close_consultation(actor=request.user, handover_id=handover_id)
        messages.success(request, _("The consultation was closed."))

    return _decided(request, handover_id, act)


@role_required(*CASE_STAFF)
@require_POST
def handover_acknowledge(request: AuthenticatedRequest, handover_id: int) -> HttpResponse:
    selectors.get_handover_for_user(request.user, handover_id, action="acknowledge")

    def act() -> None:
        deciding.acknowledge_return(actor=request.user, handover_id=handover_id)

    return _decided(request, handover_id, act)


@role_required(*CASE_STAFF)
@require_POST
def handover_revoke_grant(request: AuthenticatedRequest, handover_id: int) -> HttpResponse:
    """The sending unit's lead takes back the sight of the protected people."""
    selectors.get_handover_for_user(request.user, handover_id)

    def act() -> None:
        deciding.revoke_protected_grant(actor=request.user, handover_id=handover_id)

    return _decided(request, handover_id, act)


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def handover_send(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id)
    if not selectors.may_hand_over(request.user, case):
        raise PermissionDenied
    form = SendForm(
        request.POST or None,
        units=selectors.target_units(case),
        may_grant_protected=grantable_protected_people(request.user, case).exists(),
    )
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            handover, created = sending.send_handover(
                actor=request.user, case_id=case.pk, **form.cleaned_data
            )
        if result.ok:
            if created:
                messages.success(request, _("The handover was sent."))
            else:
                messages.info(
                    request, _("This handover had already been sent; nothing new was sent.")
                )
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request, "cases/handovers/send.html", {"case": case, "form": form, "request_form": False}
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def handover_request(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id)
    units = selectors.requesting_units(request.user, case)
    if not units:
        raise PermissionDenied
    form = RequestForm(
        request.POST or None, units=Unit.objects.filter(pk__in=[u.pk for u in units])
    )
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            _handover, created = sending.send_handover(
                actor=request.user,
                case_id=case.pk,
                kind=Handover.Kind.TRANSFER_REQUEST,
                **form.cleaned_data,
            )
        if result.ok:
            messages.success(
                request,
                _("The request was sent.") if created else _("This request had already been sent."),
            )
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request, "cases/handovers/send.html", {"case": case, "form": form, "request_form": True}
    )
