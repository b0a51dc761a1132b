"""A contact with the household, or an intervention, recorded on a case."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.hooks import How, record_read
from bokvar.forms import submitting
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_STAFF
from cases.core.selectors import cases as case_selectors
from cases.models import Intervention

from ..forms import ContactForm, InterventionForm, InterventionUpdateForm
from ..services import contacts


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def contact_new(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = ContactForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            contacts.record_contact(actor=request.user, case_id=case.pk, **form.cleaned_data)
        if result.ok:
            messages.success(request, _("The contact was saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/evictions/entry_form.html",
        {"case": case, "form": form, "heading": _("New contact")},
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def intervention_new(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = InterventionForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            contacts.record_intervention(actor=request.user, case_id=case.pk, **form.cleaned_data)
        if result.ok:
            messages.success(request, _("The intervention was saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/evictions/entry_form.html",
        {"case": case, "form": form, "heading": _("New intervention")},
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def intervention_edit(
    request: AuthenticatedRequest, case_id: int, intervention_id: int
) -> HttpResponse:
    """Move an intervention on and record its outcome."""
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    intervention = get_object_or_404(Intervention, pk=intervention_id, case=case)
    form = InterventionUpdateForm(
        request.POST or None,
        initial={
            "status": intervention.status,
            "on": intervention.on,
            "outcome": intervention.outcome,
            "version": intervention.version,
        },
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            contacts.update_intervention(
                actor=request.user,
                case_id=case.pk,
                intervention_id=intervention.pk,
                expected_version=form.cleaned_data["version"],
                status=form.cleaned_data["status"],
                on=form.cleaned_data["on"],
                outcome=form.cleaned_data["outcome"],
            )
        if result.ok:
            messages.success(request, _("The intervention was saved."))
            return redirect("cases:detail", case_id=case.pk)
        conflict = result.conflict
    # The form shows the intervention's outcome: a read of the case.
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "cases/evictions/entry_form.html",
        {
            "case": case,
            "form": form,
            "conflict": conflict,
            "heading": intervention.get_kind_display(),
        },
        status=400 if request.method == "POST" else 200,
    )
