"""Landlords: the register coordinators and administrators keep."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from bokvar.forms import submitting
from bokvar.models import District, Role
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import LANDLORD_REGISTER
from bokvar.selectors import roles_of
from cases.models import Landlord

from .. import selectors
from ..forms import LandlordEditForm, LandlordForm
from ..services import landlords as landlord_services


@role_required(*LANDLORD_REGISTER)
@require_http_methods(["GET"])
def landlord_list(request: AuthenticatedRequest) -> HttpResponse:
    landlords = list(
        Landlord.objects.prefetch_related("districts").order_by("kind", "organisation_name", "id")
    )
    editable = {
        landlord.pk for landlord in landlords if selectors.may_edit_landlord(request.user, landlord)
    }
    return render(
        request,
        "cases/evictions/landlord_list.html",
        {"landlords": landlords, "editable": editable},
    )


@role_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def landlord_edit(request: AuthenticatedRequest, landlord_id: int) -> HttpResponse:
    landlord = selectors.get_landlord_for_user(request.user, landlord_id, write=True)
    mine = roles_of(request.user).coordinator_district_ids
    districts = District.objects.filter(pk__in=mine)
    conflict = ""
    if request.method == "POST":
        form = LandlordEditForm(request.POST, districts=districts)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["districts"] = list(data["districts"])
            expected = data.pop("version")
            with submitting(form) as result:
                landlord_services.update_landlord(
                    actor=request.user,
                    landlord_id=landlord.pk,
                    expected_version=expected,
                    **data,
                )
            if result.ok:
                messages.success(request, _("The landlord was saved."))
                return redirect("cases:landlords")
            conflict = result.conflict
    else:
        form = LandlordEditForm(
            districts=districts,
            initial={
                "kind": landlord.kind,
                "name": landlord.display_name,
                "organisation_number": landlord.organisation_number,
                "contact_person": landlord.contact_person,
                "phone": landlord.phone,
                "email": landlord.email,
                "address": landlord.address,
                "districts": list(landlord.districts.filter(pk__in=mine)),
                "is_active": landlord.is_active,
                "version": landlord.version,
            },
        )
    return render(
        request,
        "cases/evictions/landlord_form.html",
        {"form": form, "landlord": landlord, "conflict": conflict},
        # A refused field is bad input (a conflict is not: the page offers the choice).
        status=400 if form.errors else 200,
    )


@role_required(*LANDLORD_REGISTER)
@require_http_methods(["GET", "POST"])
def landlord_new(request: AuthenticatedRequest) -> HttpResponse:
    districts = District.objects.filter(pk__in=selectors.landlord_district_ids(request.user))
    form = LandlordForm(
        request.POST or None, districts=districts, initial={"districts": list(districts)}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["districts"] = list(data["districts"]) or None
        with submitting(form) as result:
            landlord_services.register_landlord(actor=request.user, **data)
        if result.ok:
            messages.success(request, _("The landlord was registered."))
            return redirect("cases:landlords")
    return render(
        request,
        "cases/evictions/landlord_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
