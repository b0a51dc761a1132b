"""A household's children (birth years only), and a new case for a returning household:
reached from a closed case's page and from the new-case and person forms when an
identity number is already registered."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.hooks import How, record_read
from bokvar.forms import submitting
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_PAGES, CASE_STAFF
from bokvar.selectors import roles_of

from ..forms import CaseCreateForm, HouseholdChildForm, VersionForm
from ..selectors import cases as case_selectors
from ..services import households


@role_required(*CASE_PAGES)
@require_http_methods(["GET", "POST"])
def household_children(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    """The household's children (birth years only): list, add, and remove buttons."""
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    conflict = ""
    if request.method == "POST":
        form = HouseholdChildForm(request.POST)
        if form.is_valid():
            with submitting(form) as result:
                households.add_household_child(
                    actor=request.user,
                    case_id=case.pk,
                    expected_version=form.cleaned_data["version"],
                    birth_year=form.cleaned_data["birth_year"],
                )
            if result.ok:
                messages.success(request, _("The child was added to the household."))
                return redirect("cases:children", case_id=case.pk)
            conflict = result.conflict
    else:
        form = HouseholdChildForm(initial={"version": case.household.version})
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "cases/household_children.html",
        {
            "case": case,
            "form": form,
            "conflict": conflict,
            "children": list(case.household.children.all()),
            "version": case.household.version,
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(*CASE_PAGES)
@require_POST
def household_child_remove(
    request: AuthenticatedRequest, case_id: int, child_id: int
) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete; nothing was removed."))
        return redirect("cases:children", case_id=case.pk)
    with submitting() as result:
        households.remove_household_child(
            actor=request.user,
            case_id=case.pk,
            child_id=child_id,
            expected_version=form.cleaned_data["version"],
        )
    if result.ok:
        messages.success(request, _("The child was removed from the household."))
    else:
        messages.error(request, result.message)
    return redirect("cases:children", case_id=case.pk)


# --- A returning household --------------------------------------------------------------


def new_case_url(household_id: int, **initial: Any) -> str:
    url = reverse("cases:household_new_case", args=[household_id])
    initial = {k: v for k, v in initial.items() if v}
    return url + ("?" + urlencode(initial) if initial else "")


def clash_offer(clash: case_selectors.NumberClash | None) -> dict[str, Any] | None:
    """What the new-case and person forms offer beside a visible identity-number clash:
    the household's open case, or a new case for the household."""
    if clash is None or not clash.visible:
        return None
    return {"open_case": clash.open_case, "household_id": clash.household_id}


def new_case_offer(error: ValidationError | None, cleaned: dict[str, Any]) -> dict[str, Any] | None:
    """Beside a registered identity number the user may see: their household's open
    case, or a new case for it carrying over the kind and unit already chosen."""
    offer = clash_offer(getattr(error, "clash", None))
    if offer and not offer["open_case"]:
        unit = cleaned.get("responsible_unit")
        offer["new_case_url"] = new_case_url(
            offer["household_id"], kind=cleaned.get("kind"), responsible_unit=unit and unit.pk
        )
    return offer


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def household_new_case(request: AuthenticatedRequest, household_id: int) -> HttpResponse:
    previous = case_selectors.get_household_case_for_user(request.user, household_id)
    open_case = case_selectors.open_case_of_household(household_id)
    if open_case is not None:
        # No second open case: point to the open one (by number only if the user sees it).
        return render(
            request,
            "cases/household_new_case.html",
            {
                "previous": previous,
                "open_case": open_case,
                "open_visible": case_selectors.may_see_case(request.user, open_case),
            },
        )
    units = case_selectors.units_for_new_cases(request.user)
    staff = case_selectors.staff_choices(request.user)
    if request.method == "POST":
        form = CaseCreateForm(request.POST, units=units, staff=staff)
        if form.is_valid():
            with submitting(form) as result:
                case = households.open_case_for_household(
                    actor=request.user,
                    household_id=household_id,
                    kind=form.cleaned_data["kind"],
                    responsible_unit=form.cleaned_data["responsible_unit"],
                    assignees=list(form.cleaned_data["assignees"]),
                )
            if result.ok:
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
