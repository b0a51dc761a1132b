"""Landlord signals: the triage queue, a signal's page and its triage, registering a
signal taken down by staff, and importing a landlord's CSV batch."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.hooks import How, record_read, record_reads
from bokvar.conf import setting
from bokvar.forms import submitting
from bokvar.models import Unit, User
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_STAFF, TRIAGE
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors
from cases.core.selectors.people import Sight
from cases.core.views.cases import registration_received_redirect
from cases.models import LandlordSignal

from .. import presenters, selectors
from ..forms import (
    DismissForm,
    ImportForm,
    LinkForm,
    MisconductStepsForm,
    OpenCaseForm,
    ReopenForm,
    SignalForm,
)
from ..services import import_jobs, imports, landlord_signals, triage

# Where create_case's errors belong on the open-case form: its one person's fields carry
# no "people-0-" prefix there, and the children are one field.
OPEN_CASE_FIELDS = {"children": "children_birth_years"}


def _open_case_field(key: str) -> str:
    return OPEN_CASE_FIELDS.get(key, key.removeprefix("people-0-"))


@role_required(*TRIAGE)
@require_http_methods(["GET"])
def signal_queue(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.mark_withheld(request.user, selectors.triage_queue_rows(request.user))
    record_reads(request, objs=rows, how=How.PAGE)
    return render(
        request,
        "cases/evictions/signal_queue.html",
        {"signals": rows, "signal_rows": presenters.signal_queue_rows(rows)},
    )


@role_required(*TRIAGE)
@require_http_methods(["GET", "POST"])
def signal_new(request: AuthenticatedRequest) -> HttpResponse:
    form = SignalForm(
        request.POST or None, districts=sorted(roles_of(request.user).coordinator_district_ids)
    )
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            signal = landlord_signals.register_signal(
                actor=request.user,
                landlord=form.cleaned_data["landlord"],
                data=form.to_input(),
                district=form.cleaned_data.get("district"),
            )
        if result.ok:
            messages.success(request, _("The signal was registered."))
            return redirect("cases:signal", signal_id=signal.pk)
    return render(request, "cases/evictions/signal_form.html", {"form": form})


def _units(user: User) -> QuerySet[Unit]:
    return Unit.objects.filter(
        district_id__in=roles_of(user).coordinator_district_ids, is_active=True
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET"])
def signal_detail(request: AuthenticatedRequest, signal_id: int) -> HttpResponse:
    signal = selectors.get_signal_for_user(request.user, signal_id)
    return _render_signal(request, signal)


def _render_signal(
    request: AuthenticatedRequest,
    signal: LandlordSignal,
    *,
    open_form: OpenCaseForm | None = None,
    dismiss_form: DismissForm | None = None,
    misconduct_form: MisconductStepsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    # Every rendering of the page is a read, a refused triage form included.
    record_read(request, obj=signal, how=How.PAGE)
    repeat_of = signal.repeat_of if signal.repeat_of_id else None
    waits_for_first = repeat_of is not None and repeat_of.status == "untriaged"
    # Who is hidden from the reader, read once for the signal and its repeats.
    sight = Sight(request.user)
    (signal,) = selectors.mark_withheld(request.user, [signal], sight=sight)
    # Whether the signal is the reader's to triage: one query, asked only when it matters.
    triager = (
        not signal.withheld
        and (signal.status == "untriaged" and not waits_for_first or signal.is_misconduct)
        and selectors.may_triage_signal(request.user, signal)
    )
    may_triage = signal.status == "untriaged" and not waits_for_first and triager
    context: dict[str, Any] = {
        "signal": signal,
        # The heading and facts, written in Python (issue 22).
        "facts": presenters.signal_facts(signal, repeat_of),
        "may_triage": may_triage,
        "repeat_of": repeat_of,
        "repeats": selectors.mark_withheld(request.user, selectors.repeats_of(signal), sight=sight),
    }
    if signal.withheld:
        context["contacts"] = selectors.protected_signal_contacts(signal)
    if signal.is_misconduct and triager:
        context["misconduct_form"] = misconduct_form or MisconductStepsForm.for_signal(signal)
    if may_triage:
        context["suggestions"] = selectors.triage_suggestions(request.user, signal)
        context["open_form"] = open_form or OpenCaseForm(
            units=_units(request.user),
            staff=case_selectors.staff_choices(request.user),
            initial={
                "personal_number": signal.tenant_personal_number,
                "version": signal.version,
                "assignees": [request.user.pk],
                "responsible_unit": _units(request.user)
                .filter(pk__in=roles_of(request.user).unit_ids)
                .first(),
            },
        )
        context["dismiss_form"] = dismiss_form or DismissForm(initial={"version": signal.version})
    return render(request, "cases/evictions/signal_detail.html", context, status=status)


@role_required(*CASE_STAFF)
@require_POST
def signal_link(request: AuthenticatedRequest, signal_id: int) -> HttpResponse:
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a case to link the signal to."))
        return redirect("cases:signal", signal_id=signal.pk)
    with submitting() as result:
        triage.link_signal(
            actor=request.user,
            signal_id=signal.pk,
            expected_version=form.cleaned_data["version"],
            case_id=form.cleaned_data["case"],
        )
    if not result.ok:
        messages.error(request, result.message)
        return redirect("cases:signal", signal_id=signal.pk)
    messages.success(request, _("The signal was linked to the case."))
    return redirect("cases:detail", case_id=form.cleaned_data["case"])


@role_required(*TRIAGE)
@require_POST
def signal_route(request: AuthenticatedRequest, signal_id: int) -> HttpResponse:
    """Send a signal naming a protected person to those granted that person."""
    signal = selectors.get_signal_for_user(request.user, signal_id)
    routed = triage.route_protected_signal(actor=request.user, signal_id=signal.pk)
    if routed:
        messages.success(request, _("The signal was sent to those who may see the person."))
    else:
        messages.error(
            request, _("Nobody who may see the person can triage it. Ask the unit lead.")
        )
    return redirect("cases:signal", signal_id=signal.pk)


@role_required(*CASE_STAFF)
@require_POST
def signal_reopen_case(request: AuthenticatedRequest, signal_id: int) -> HttpResponse:
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a case to reopen."))
        return redirect("cases:signal", signal_id=signal.pk)
    c = form.cleaned_data
    with submitting() as result:
        case = triage.reopen_case_for_signal(
            actor=request.user,
            signal_id=signal.pk,
            expected_version=c["version"],
            case_id=c["case"],
            case_version=c["case_version"],
        )
    if not result.ok:
        messages.error(request, result.message)
        return redirect("cases:signal", signal_id=signal.pk)
    messages.success(
        request,
        _("Case %(number)s was reopened and the signal linked to it.") % {"number": case.number},
    )
    return redirect("cases:detail", case_id=case.pk)


@role_required(*CASE_STAFF)
@require_POST
def signal_open_case(request: AuthenticatedRequest, signal_id: int) -> HttpResponse:
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = OpenCaseForm(
        request.POST, units=_units(request.user), staff=case_selectors.staff_choices(request.user)
    )
    if form.is_valid():
        c = form.cleaned_data
        try:
            with submitting(form, rename=_open_case_field, conflict_on_form=True) as result:
                case = triage.open_case_from_signal(
                    actor=request.user,
                    signal_id=signal.pk,
                    expected_version=c["version"],
                    responsible_unit=c["responsible_unit"],
                    assignees=list(c["assignees"]),
                    given_name=c["given_name"],
                    family_name=c["family_name"],
                    personal_number=c["personal_number"],
                    children_birth_years=c["children_birth_years"],
                )
        except triage.SignalForwarded:
            # The tenant is registered out of the user's sight: answered exactly as a
            # case opened for an identity number (issue 16, point 4: no existence oracle).
            return registration_received_redirect(request)
        if result.ok:
            if c["personal_number"] or signal.tenant_personal_number:
                return registration_received_redirect(request)
            messages.success(request, _("Case %(number)s was opened.") % {"number": case.number})
            return redirect("cases:detail", case_id=case.pk)
    return _render_signal(request, signal, open_form=form, status=400)


@role_required(*CASE_STAFF)
@require_POST
def signal_dismiss(request: AuthenticatedRequest, signal_id: int) -> HttpResponse:
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = DismissForm(request.POST)
    if form.is_valid():
        with submitting(form, conflict_on_form=True) as result:
            triage.dismiss_signal(
                actor=request.user,
                signal_id=signal.pk,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        if result.ok:
            messages.success(request, _("The signal was dismissed."))
            return redirect("cases:signals")
    return _render_signal(request, signal, dismiss_form=form, status=400)


@role_required(*TRIAGE)
@require_http_methods(["GET", "POST"])
def signal_import(request: AuthenticatedRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    rejected: list[imports.RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with submitting(form) as result:
                # Read one byte past the limit: enough to know the file is too large.
                submitted = import_jobs.submit(
                    actor=request.user,
                    landlord=form.cleaned_data["landlord"],
                    data=upload.read(setting("SIGNAL_IMPORT_MAX_BYTES") + 1),
                    language=translation.get_language() or "sv",
                )
        except imports.ImportRejected as exc:
            rejected = exc.errors
        else:
            if result.ok and submitted.job is not None:
                return redirect("cases:signal_import_status", import_id=submitted.job.pk)
            if result.ok:
                messages.success(
                    request,
                    _("%(count)s signals were imported.") % {"count": len(submitted.created)},
                )
                return redirect("cases:signals")
    return render(
        request,
        "cases/evictions/signal_import.html",
        {
            "form": form,
            "rejected": rejected,
            "columns": imports.COLUMNS,
            "max_megabytes": setting("SIGNAL_IMPORT_MAX_BYTES") // 1_000_000,
            "max_rows": setting("SIGNAL_IMPORT_MAX_ROWS"),
            "background_rows": setting("SIGNAL_IMPORT_BACKGROUND_ROWS"),
        },
        status=400 if rejected or form.errors else 200,
    )


@role_required(*TRIAGE)
@require_http_methods(["GET"])
def signal_import_status(request: AuthenticatedRequest, import_id: int) -> HttpResponse:
    """How far a background import has come; the page reloads itself until it ends."""
    job = selectors.get_signal_import_for_user(request.user, import_id)
    return render(
        request,
        "cases/evictions/signal_import_status.html",
        {"job": job, "errors": job.errors.splitlines() if job.errors else []},
    )


@role_required(*TRIAGE)
@require_POST
def signal_misconduct(request: AuthenticatedRequest, signal_id: int) -> HttpResponse:
    """Record the landlord's warning to the tenant and notice to the board, or their
    claim of particularly serious disturbances (12 kap. 25 §, 43 §)."""
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = MisconductStepsForm(request.POST)
    if form.is_valid():
        with submitting(form, conflict_on_form=True) as result:
            landlord_signals.record_misconduct_steps(
                actor=request.user,
                signal_id=signal.pk,
                version=form.cleaned_data["version"],
                steps=form.to_steps(),
            )
        if result.ok:
            messages.success(request, _("The landlord's warning and notice were recorded."))
            return redirect("cases:signal", signal_id=signal.pk)
    return _render_signal(request, signal, misconduct_form=form, status=400)
