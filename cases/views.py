"""Case pages: thin views that parse, call a selector or service, and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.hooks import How, record_read, record_reads
from bokvar.concurrency import ConflictError
from bokvar.models import Role, Unit
from bokvar.permissions import role_required
from bokvar.selectors import roles_of

from . import search, selectors, services
from .forms import (
    CaseCreateForm,
    CaseEditForm,
    CaseFilterForm,
    CloseCaseForm,
    GrantForm,
    HouseholdChildForm,
    PersonEditForm,
    ProtectedGrantForm,
    VersionForm,
    child_formset,
    person_formset,
)
from .history import case_changes
from .panels import panels_for, person_panels_for, timeline_for
from .services_returning import may_open_new_case
from .views_returning import clash_offer, new_case_url

CASE_ROLES = (Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER, Role.ADMINISTRATOR)
CREATE_ROLES = (Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER)
PAGE_SIZE = 25

FILTERS = ("status", "unit", "assignee")


@role_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_list(request):
    units = Unit.objects.filter(district_id__in=roles_of(request.user).district_ids)
    staff = selectors.staff_choices(request.user)
    if request.method == "POST":
        form = CaseFilterForm(request.POST, units=units, staff=staff)
        if form.is_valid():
            return redirect(_list_url(request, form.cleaned_data))
        return _render_list(request, form, selectors.CaseFilters(), status=400)
    data = {name: request.GET[name] for name in FILTERS if name in request.GET}
    token = request.GET.get("search", "")
    searched = search.recall(request.session, token) if token else ""
    if searched is not None:
        data["q"] = searched
    form = CaseFilterForm(data, units=units, staff=staff)
    filters = selectors.CaseFilters()
    if searched is None:
        form.is_valid()
        form.add_error("q", _("This search has expired. Search again."))
        return _render_list(request, form, None)
    if form.is_valid():
        c = form.cleaned_data
        filters = selectors.CaseFilters(
            q=c["q"],
            status=c["status"],
            unit_id=c["unit"].pk if c["unit"] else None,
            assignee_id=c["assignee"].pk if c["assignee"] else None,
        )
    return _render_list(request, form, filters)


def _list_url(request, cleaned: dict) -> str:
    """The result page's address: the filters, and a token instead of the search text."""
    params = {}
    if cleaned["q"].strip():
        params["search"] = search.remember(request.session, cleaned["q"].strip())
    if cleaned["status"]:
        params["status"] = cleaned["status"]
    for name in ("unit", "assignee"):
        if cleaned[name]:
            params[name] = cleaned[name].pk
    return reverse("cases:list") + ("?" + urlencode(params) if params else "")


def _render_list(request, form, filters, status: int = 200):
    found = selectors.case_list(request.user, filters) if filters is not None else []
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"case": case, "name": selectors.head_name(case)} for case in page.object_list]
    if rows:
        # The list shows each case's main tenant by name: one read per case shown.
        record_reads(request, objs=[row["case"] for row in rows], how=How.PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "may_create": roles_of(request.user).has(*CREATE_ROLES),
        },
        status=status,
    )


@role_required(*CREATE_ROLES)
@require_http_methods(["GET", "POST"])
def case_create(request):
    units = selectors.units_for_new_cases(request.user)
    staff = selectors.staff_choices(request.user)
    offer = None
    if request.method == "POST":
        form = CaseCreateForm(request.POST, units=units, staff=staff)
        people = person_formset()(request.POST, prefix="people")
        children = child_formset()(request.POST, prefix="children")
        if form.is_valid() and people.is_valid() and children.is_valid():
            try:
                case = services.create_case(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    responsible_unit=form.cleaned_data["responsible_unit"],
                    assignees=list(form.cleaned_data["assignees"]),
                    people=[f.to_data() for f in people.forms if f.cleaned_data],
                    children_birth_years=[
                        f.cleaned_data["birth_year"]
                        for f in children.forms
                        if f.cleaned_data.get("birth_year")
                    ],
                )
            except ValidationError as exc:
                _attach_errors(exc, form, people, children)
                offer = _offer(exc, form.cleaned_data)
            else:
                messages.success(
                    request, _("Case %(number)s was created.") % {"number": case.number}
                )
                return redirect("cases:detail", case_id=case.pk)
    else:
        # More rows on request (?adults=3&children=6): plain links, no JavaScript needed.
        adults = _rows(request.GET.get("adults"), default=2, most=8)
        kids = _rows(request.GET.get("children"), default=4, most=12)
        initial_unit = units.filter(pk__in=roles_of(request.user).unit_ids).first()
        form = CaseCreateForm(
            units=units,
            staff=staff,
            initial={"responsible_unit": initial_unit, "assignees": [request.user]},
        )
        people = person_formset(extra=adults - 1)(prefix="people")
        children = child_formset(extra=kids)(prefix="children")
    return render(
        request,
        "cases/case_create.html",
        {"form": form, "people": people, "children": children, "offer": offer},
    )


def _offer(exc: ValidationError, cleaned: dict) -> dict | None:
    """Beside a registered identity number the user may see: their household's open
    case, or a new case for it carrying over the kind and unit already chosen."""
    offer = clash_offer(getattr(exc, "clash", None))
    if offer and not offer["open_case"]:
        unit = cleaned.get("responsible_unit")
        offer["new_case_url"] = new_case_url(
            offer["household_id"], kind=cleaned.get("kind"), responsible_unit=unit and unit.pk
        )
    return offer


def _rows(value, *, default: int, most: int) -> int:
    try:
        return max(1, min(int(value), most))
    except (TypeError, ValueError):
        return default


def _attach_errors(exc: ValidationError, form, people, children) -> None:
    for key, errors in exc.message_dict.items():
        if key.startswith("people-"):
            _, index, field = key.split("-", 2)
            people.forms[int(index)].add_error(field, errors)
        elif key in form.fields:
            form.add_error(key, errors)
        else:
            form.add_error(None, errors)


@role_required(*CASE_ROLES)
@require_http_methods(["GET"])
def case_detail(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id)
    record_read(request, obj=case, how=How.PAGE)
    context = {
        "case": case,
        "people": selectors.household_cards(request.user, case),
        "children": list(case.household.children.all()),
        "assignees": selectors.assignees_of(case),
        "may_write": selectors.can_write_case(request.user, case),
        "may_grant": services.may_grant(request.user, case),
        "may_grant_protected": services.may_grant_protected(request.user, case),
        "may_open_new_case": may_open_new_case(request.user, case),
        "panels": panels_for(request, case),
        "timeline": timeline_for(request, case),
        "changes": case_changes(case, limit=15),
    }
    return render(request, "cases/case_detail.html", context)


@role_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_edit(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    staff = selectors.staff_choices(request.user)
    conflict = None
    if request.method == "POST":
        form = CaseEditForm(request.POST, staff=staff)
        if form.is_valid():
            try:
                services.update_case(
                    actor=request.user,
                    case_id=case.pk,
                    expected_version=form.cleaned_data["version"],
                    kind=form.cleaned_data["kind"],
                    assignees=list(form.cleaned_data["assignees"]),
                )
            except ConflictError as exc:
                conflict = exc.message
            else:
                messages.success(request, _("The case was saved."))
                return redirect("cases:detail", case_id=case.pk)
    else:
        form = CaseEditForm(
            staff=staff,
            initial={
                "kind": case.kind,
                "assignees": [u.pk for u in selectors.assignees_of(case)],
                "version": case.version,
            },
        )
    # Logged whenever the page is shown (a refused or conflicting save re-renders it too),
    # never on the redirect after a save.
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request, "cases/case_edit.html", {"case": case, "form": form, "conflict": conflict}
    )


@role_required(*CASE_ROLES)
@require_http_methods(["GET"])
def person_detail(request, case_id: int, person_id: int):
    """One person of the case: their details and what other apps know of them (the
    housing chain). A protected person not granted to the user answers 404."""
    case = selectors.get_case_for_user(request.user, case_id)
    person = selectors.get_person_for_user(request.user, case, person_id)
    record_read(request, obj=person, how=How.PAGE, via=case)
    return render(
        request,
        "cases/person_detail.html",
        {
            "case": case,
            "p": selectors.person_card(person, hidden=False),
            "may_write": selectors.can_write_case(request.user, case),
            "panels": person_panels_for(request, person),
        },
    )


@role_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def person_edit(request, case_id: int, person_id: int):
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    person = selectors.get_person_for_user(request.user, case, person_id)
    conflict = offer = None
    if request.method == "POST":
        form = PersonEditForm(request.POST)
        if form.is_valid():
            try:
                services.update_person(
                    actor=request.user,
                    case_id=case.pk,
                    person_id=person.pk,
                    expected_version=form.cleaned_data["version"],
                    data=form.to_data(),
                )
            except ConflictError as exc:
                conflict = exc.message
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                offer = _offer(exc, {})
            else:
                messages.success(request, _("The person's details were saved."))
                return redirect("cases:detail", case_id=case.pk)
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


@role_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_close(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    conflict = None
    if request.method == "POST":
        form = CloseCaseForm(request.POST, case=case)
        if form.is_valid():
            try:
                services.close_case(
                    actor=request.user,
                    case_id=case.pk,
                    expected_version=form.cleaned_data["version"],
                    outcome=form.cleaned_data["outcome"],
                    closed_on=form.cleaned_data["closed_on"],
                )
            except ConflictError as exc:
                conflict = exc.message
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The case was closed."))
                return redirect("cases:detail", case_id=case.pk)
    else:
        form = CloseCaseForm(case=case, initial={"version": case.version})
    return render(
        request, "cases/case_close.html", {"case": case, "form": form, "conflict": conflict}
    )


@role_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def case_access(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id)
    if not services.may_grant(request.user, case):
        raise PermissionDenied
    staff = selectors.staff_choices(request.user)
    units = Unit.objects.filter(district_id=case.responsible_unit.district_id, is_active=True)
    form = GrantForm(request.POST or None, staff=staff, units=units)
    if request.method == "POST" and form.is_valid():
        services.grant_case_access(
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
            "may_grant_protected": services.may_grant_protected(request.user, case),
        },
    )


@role_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def protected_access(request, case_id: int):
    """Let a colleague with access to the case see one of its protected people."""
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    if not services.may_grant_protected(request.user, case):
        raise PermissionDenied
    form = ProtectedGrantForm(
        request.POST or None,
        people=selectors.grantable_protected_people(request.user, case),
        staff=selectors.staff_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_protected_person(
                actor=request.user,
                case_id=case.pk,
                person_id=form.cleaned_data["person"].pk,
                user=form.cleaned_data["user"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
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


@role_required(*CASE_ROLES)
@require_http_methods(["GET", "POST"])
def household_children(request, case_id: int):
    """The household's children (birth years only): list, add, and remove buttons."""
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    conflict = None
    if request.method == "POST":
        form = HouseholdChildForm(request.POST)
        if form.is_valid():
            try:
                services.add_household_child(
                    actor=request.user,
                    case_id=case.pk,
                    expected_version=form.cleaned_data["version"],
                    birth_year=form.cleaned_data["birth_year"],
                )
            except ConflictError as exc:
                conflict = exc.message
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The child was added to the household."))
                return redirect("cases:children", case_id=case.pk)
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


@role_required(*CASE_ROLES)
@require_POST
def household_child_remove(request, case_id: int, child_id: int):
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete; nothing was removed."))
        return redirect("cases:children", case_id=case.pk)
    try:
        services.remove_household_child(
            actor=request.user,
            case_id=case.pk,
            child_id=child_id,
            expected_version=form.cleaned_data["version"],
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The child was removed from the household."))
    return redirect("cases:children", case_id=case.pk)
