"""An eviction threat of a case: recording it and following its stages."""

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

from .. import selectors
from ..forms import ThreatForm
from ..services import threats


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def threat_new(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = ThreatForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            threats.create_threat(actor=request.user, case_id=case.pk, data=form.to_data())
        if result.ok:
            messages.success(request, _("The eviction threat was saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request, "cases/evictions/threat_form.html", {"case": case, "form": form, "threat": None}
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def threat_edit(request: AuthenticatedRequest, case_id: int, threat_id: int) -> HttpResponse:
    case, threat = selectors.get_threat_for_user(request.user, case_id, threat_id, write=True)
    conflict = ""
    if request.method == "POST":
        form = ThreatForm(request.POST)
        if form.is_valid():
            with submitting(form) as result:
                threats.update_threat(
                    actor=request.user,
                    case_id=case.pk,
                    threat_id=threat.pk,
                    expected_version=form.cleaned_data["version"] or 0,
                    data=form.to_data(),
                )
            if result.ok:
                messages.success(request, _("The eviction threat was saved."))
                return redirect("cases:detail", case_id=case.pk)
            conflict = result.conflict
    else:
        initial = {name: getattr(threat, name) for name in ThreatForm.base_fields}
        initial["version"] = threat.version
        form = ThreatForm(initial=initial)
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "cases/evictions/threat_form.html",
        {"case": case, "form": form, "threat": threat, "conflict": conflict},
    )
