"""One person of a case: their page (with what other apps know of them) and editing."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.hooks import How, record_read
from bokvar.forms import submitting
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_PAGES
from cases.models import Person

from ... import case_page
from ..forms import PersonEditForm
from ..identity import InvalidPersonalNumber, parse_personal_number
from ..selectors import cases as case_selectors
from ..selectors import people as people_selectors
from ..services import people as people_services
from .cases import registration_received_redirect
from .households import new_case_offer


@role_required(*CASE_PAGES)
@require_http_methods(["GET"])
def person_detail(request: AuthenticatedRequest, case_id: int, person_id: int) -> HttpResponse:
    """One person of the case: their details and what other apps know of them (the
    housing chain). A protected person not granted to the user answers 404."""
    # The case, whether the reader may write it and whether its household is hidden from
    # them, in one query (as on the case page).
    case = case_selectors.get_case_for_page(request, case_id)
    person = people_selectors.get_person_for_user(
        request.user, case, person_id, hidden=case_selectors.hides_household(request, case)
    )
    record_read(request, obj=person, how=How.PAGE, via=case)
    return render(
        request,
        "cases/person_detail.html",
        {
            "case": case,
            "p": people_selectors.person_card(person, hidden=False),
            "may_write": case_selectors.may_write(request, case),
            "panels": case_page.person_sections_for(request, person),
        },
    )


@role_required(*CASE_PAGES)
@require_http_methods(["GET", "POST"])
def person_edit(request: AuthenticatedRequest, case_id: int, person_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    person = people_selectors.get_person_for_user(request.user, case, person_id)
    conflict, offer = "", None
    if request.method == "POST":
        form = PersonEditForm(request.POST)
        if form.is_valid():
            data = form.to_data()
            with submitting(form) as result:
                people_services.change_person(
                    actor=request.user,
                    case_id=case.pk,
                    person_id=person.pk,
                    expected_version=form.cleaned_data["version"],
                    data=data,
                )
            if result.ok:
                if _number_changed(person, data.personal_number):
                    # Saved, or a registration request (the number is held out of
                    # sight): the same answer either way (issue 16, point 4).
                    return registration_received_redirect(request)
                messages.success(request, _("The person's details were saved."))
                return redirect("cases:detail", case_id=case.pk)
            conflict = result.conflict
            offer = new_case_offer(result.error, {})
    else:
        form = PersonEditForm(
            initial={
                "given_name": person.given_name,
                "family_name": person.family_name,
                "personal_number": person.personal_number,
                "address": person.address,
                "phone": person.phone,
                "email": person.email,
                "sex": person.sex,
                "needs_interpreter": person.needs_interpreter,
                "interpreter_language": person.interpreter_language,
                "protected_identity": person.protected_identity,
                "protected_identity_noted_on": person.protected_identity_noted_on,
                "notes": person.notes,
                "version": person.version,
            }
        )
    record_read(request, obj=person, how=How.PAGE, via=case)
    return render(
        request,
        "cases/person_edit.html",
        {"case": case, "person": person, "form": form, "conflict": conflict, "offer": offer},
    )


def _number_changed(person: Person, entered: str) -> bool:
    """Whether the form changed the identity number (decided by the input alone, never
    by whether somebody holds the new number)."""
    if not entered:
        return False
    try:
        return parse_personal_number(entered) != person.personal_number
    except InvalidPersonalNumber:
        return False  # the service refused it on its field already
