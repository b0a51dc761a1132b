"""A new case for a returning household: reached from a closed case's page and from the
new-case form when an identity number is already registered."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bokvar.permissions import role_required
from bokvar.selectors import roles_of

from . import selectors
from .forms import CaseCreateForm
from .services_returning import CREATE_ROLES, open_case_for_household


def new_case_url(household_id: int, **initial) -> str:
    url = reverse("cases:household_new_case", args=[household_id])
    initial = {k: v for k, v in initial.items() if v}
    return url + ("?" + urlencode(initial) if initial else "")


def clash_offer(clash) -> dict | None:
    """What the new-case and person forms offer beside a visible identity-number clash:
    the household's open case, or a new case for the household."""
    if clash is None or not clash.visible:
        return None
    return {"open_case": clash.open_case, "household_id": clash.household_id}


@role_required(*CREATE_ROLES)
@require_http_methods(["GET", "POST"])
def household_new_case(request, household_id: int):
    previous = selectors.get_household_case_for_user(request.user, household_id)
    open_case = selectors.open_case_of_household(household_id)
    if open_case is not None:
        # No second open case: point to the open one (by number only if the user sees it).
        return render(
            request,
            "cases/household_new_case.html",
            {
                "previous": previous,
                "open_case": open_case,
                "open_visible": selectors.may_see_case(request.user, open_case),
            },
        )
    units = selectors.units_for_new_cases(request.user)
    staff = selectors.staff_choices(request.user)
    if request.method == "POST":
        form = CaseCreateForm(request.POST, units=units, staff=staff)
        if form.is_valid():
            try:
                case = open_case_for_household(
                    actor=request.user,
                    household_id=household_id,
                    kind=form.cleaned_data["kind"],
                    responsible_unit=form.cleaned_data["responsible_unit"],
                    assignees=list(form.cleaned_data["assignees"]),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request, _("Case %(number)s was opened.") % {"number": case.number}
                )
                return redirect("cases:detail", case_id=case.pk)
    else:
        own = units.filter(pk__in=roles_of(request.user).unit_ids).first()
        form = CaseCreateForm(
            units=units,
            staff=staff,
            initial={
                "kind": request.GET.get("kind") or previous.kind,
                "responsible_unit": request.GET.get("responsible_unit") or own,
                "assignees": [request.user],
            },
        )
    return render(
        request,
        "cases/household_new_case.html",
        {"previous": previous, "form": form},
        status=400 if request.method == "POST" else 200,
    )
