"""Landlords: the register coordinators and administrators keep (cases.services.register_landlord)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from bokvar.models import District, Role
from bokvar.permissions import role_required
from cases import selectors, services
from cases.models import Landlord

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


@role_required(*ROLES)
@require_http_methods(["GET"])
def landlord_list(request):
    landlords = list(
        Landlord.objects.prefetch_related("districts").order_by("kind", "organisation_name", "id")
    )
    return render(request, "cases/workflow/landlord_list.html", {"landlords": landlords})


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
            services.register_landlord(actor=request.user, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The landlord was registered."))
            return redirect("cases:landlords")
    return render(request, "cases/workflow/landlord_form.html", {"form": form})
