"""The payment route of an eviction threat: recording the income-support application,
the decision, the payment or commitment and the landlord's confirmation."""

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

from .. import selectors
from ..forms import PaymentRouteForm
from ..services import payment_routes


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def payment_route_edit(request: AuthenticatedRequest, case_id: int, threat_id: int) -> HttpResponse:
    case, threat, route = selectors.get_payment_route_for_user(
        request.user, case_id, threat_id, write=True
    )
    conflict = ""
    status = 200
    if request.method == "POST":
        form = PaymentRouteForm(request.POST)
        if form.is_valid():
            with submitting(form) as result:
                payment_routes.save_payment_route(
                    actor=request.user,
                    case_id=case.pk,
                    threat_id=threat.pk,
                    expected_version=form.cleaned_data["version"] or 0,
                    data=form.to_data(),
                )
            if result.ok:
                messages.success(request, _("The payment route was saved."))
                return redirect("cases:detail", case_id=case.pk)
            conflict = result.conflict
        # Bad input names its field (400); someone else's save in between is a conflict (409).
        status = 409 if conflict else 400
    else:
        form = PaymentRouteForm(initial=PaymentRouteForm.initial_from(route))
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "cases/evictions/payment_route_form.html",
        {"case": case, "threat": threat, "form": form, "conflict": conflict},
        status=status,
    )
