"""A contact with the household, or an intervention, recorded on a case."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bokvar.forms import submitting
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_STAFF
from cases.core.selectors import cases as case_selectors

from ..forms import ContactForm, InterventionForm
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
