"""Landlords: the register coordinators and administrators keep (cases.services.register_landlord)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from bokvar.concurrency import ConflictError
from bokvar.models import District, Role
from bokvar.permissions import role_required
from bokvar.selectors import roles_of
from cases.models import Landlord

from . import landlords as landlord_services
from . import selectors

ROLES = (Role.COORDINATOR, Role.ADMINISTRATOR)


class LandlordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Landlord.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation_number = forms.CharField(
        label=_("Organisation number"), max_length=20, required=False
    )
    contact_person = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    districts = forms.ModelMultipleChoiceField(
        label=_("Districts where the landlord has flats"),
        queryset=District.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "None ticked means all of yours. Signals from a landlord of one district go "
            "straight to its coordinators."
        ),
    )

    def __init__(self, *args, districts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["districts"].queryset = (
            districts if districts is not None else District.objects.none()
        )


class LandlordEditForm(LandlordForm):
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_(
            "A landlord that is not active cannot report signals; its API tokens are revoked."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["districts"].help_text = _(
            "Among the districts you coordinate; other districts are kept as they are."
        )


@role_required(*ROLES)
@require_http_methods(["GET"])
def landlord_list(request):
    landlords = list(
        Landlord.objects.prefetch_related("districts").order_by("kind", "organisation_name", "id")
    )
    editable = {
        landlord.pk
        for landlord in landlords
        if landlord_services.may_edit_landlord(request.user, landlord)
    }
    return render(
        request,
        "cases/workflow/landlord_list.html",
        {"landlords": landlords, "editable": editable},
    )


@role_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def landlord_edit(request, landlord_id: int):
    landlord = landlord_services.get_landlord_for_user(request.user, landlord_id, write=True)
    mine = roles_of(request.user).coordinator_district_ids
    districts = District.objects.filter(pk__in=mine)
    conflict = None
    if request.method == "POST":
        form = LandlordEditForm(request.POST, districts=districts)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["districts"] = list(data["districts"])
            expected = data.pop("version")
            try:
                landlord_services.update_landlord(
                    actor=request.user,
                    landlord_id=landlord.pk,
                    expected_version=expected,
                    **data,
                )
            except ConflictError as exc:
                conflict = exc.message
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The landlord was saved."))
                return redirect("cases:landlords")
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
        "cases/workflow/landlord_form.html",
        {"form": form, "landlord": landlord, "conflict": conflict},
    )


@role_required(*ROLES)
@require_http_methods(["GET", "POST"])
def landlord_new(request):
    districts = District.objects.filter(pk__in=selectors.landlord_district_ids(request.user))
    form = LandlordForm(
        request.POST or None, districts=districts, initial={"districts": list(districts)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            data["districts"] = list(data["districts"]) or None
            landlord_services.register_landlord(actor=request.user, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The landlord was registered."))
            return redirect("cases:landlords")
    return render(request, "cases/workflow/landlord_form.html", {"form": form})
