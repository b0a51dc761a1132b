"""Letting a colleague or a unit into a case, and a colleague see a protected person."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.hooks import How, record_read
from bokvar.forms import submitting
from bokvar.models import Unit
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_PAGES

from ..forms import GrantForm, ProtectedGrantForm
from ..selectors import cases as case_selectors
from ..selectors import people as people_selectors
from ..services import access


@role_required(*CASE_PAGES)
@require_http_methods(["GET", "POST"])
def case_access(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id)
    if not access.may_grant(request.user, case):
        raise PermissionDenied
    staff = case_selectors.staff_choices(request.user)
    units = Unit.objects.filter(district_id=case.responsible_unit.district_id, is_active=True)
    form = GrantForm(request.POST or None, staff=staff, units=units)
    if request.method == "POST" and form.is_valid():
        access.grant_case_access(
            actor=request.user,
            case_id=case.pk,
            user=form.cleaned_data["user"],
            unit=form.cleaned_data["unit"],
        )
        messages.success(request, _("Access was granted."))
        return redirect(reverse("cases:detail", kwargs={"case_id": case.pk}))
    return render(
        request,
        "cases/case_access.html",
        {
            "case": case,
            "form": form,
            "may_grant_protected": access.may_grant_protected(request.user, case),
        },
    )


@role_required(*CASE_PAGES)
@require_http_methods(["GET", "POST"])
def protected_access(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """Let a colleague with access to the case see one of its protected people."""
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    if not access.may_grant_protected(request.user, case):
        raise PermissionDenied
    form = ProtectedGrantForm(
        request.POST or None,
        people=people_selectors.grantable_protected_people(request.user, case),
        staff=case_selectors.staff_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            access.grant_protected_person(
                actor=request.user,
                case_id=case.pk,
                person_id=form.cleaned_data["person"].pk,
                user=form.cleaned_data["user"],
            )
        if result.ok:
            messages.success(request, _("The colleague may now see the person."))
            return redirect("cases:detail", case_id=case.pk)
    # The choice list names the case's protected people: logged whenever it is shown.
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "cases/protected_access.html",
        {"case": case, "form": form},
        status=400 if request.method == "POST" else 200,
    )
