"""The case list, a new case, the case page, editing and closing a case."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.hooks import How, record_read, record_reads
from bokvar.forms import submitting
from bokvar.models import Unit
from bokvar.paging import CappedPaginator
from bokvar.permissions import AuthenticatedRequest, role_required
from bokvar.roles import CASE_PAGES, CASE_STAFF
from bokvar.selectors import roles_of
from cases.models import Case

from ... import case_page
from .. import presenters, search
from ..forms import (
    CaseCreateForm,
    CaseEditForm,
    CaseFilterForm,
    CloseCaseForm,
    child_formset,
    person_formset,
)
from ..history import case_changes_for_page
from ..selectors import cases as case_selectors
from ..selectors import people as people_selectors
from ..services import access
from ..services import cases as case_services
from ..services.households import may_open_new_case
from .households import new_case_offer

PAGE_SIZE = 25

FILTERS = ("status", "unit", "assignee")


@role_required(*CASE_PAGES)
@require_http_methods(["GET", "POST"])
def case_list(request: AuthenticatedRequest) -> HttpResponse:
    units = Unit.objects.filter(district_id__in=roles_of(request.user).district_ids)
    staff = case_selectors.staff_choices(request.user)
    key = case_selectors.list_choices_key(request.user)
    if request.method == "POST":
        form = CaseFilterForm(request.POST, units=units, staff=staff, choices_key=key)
        if form.is_valid():
            return redirect(_list_url(request, form.cleaned_data))
        return _render_list(request, form, case_selectors.CaseFilters(), status=400)
    data = {name: request.GET[name] for name in FILTERS if name in request.GET}
    token = request.GET.get("search", "")
    searched = search.recall(request.session, token) if token else ""
    if searched is not None:
        data["q"] = searched
    form = CaseFilterForm(data, units=units, staff=staff, choices_key=key)
    filters = case_selectors.CaseFilters()
    if searched is None:
        form.is_valid()
        form.add_error("q", _("This search has expired. Search again."))
        return _render_list(request, form, None)
    if form.is_valid():
        c = form.cleaned_data
        filters = case_selectors.CaseFilters(
            q=c["q"],
            status=c["status"],
            unit_id=c["unit"].pk if c["unit"] else None,
            assignee_id=c["assignee"].pk if c["assignee"] else None,
        )
    return _render_list(request, form, filters)


def _list_url(request: AuthenticatedRequest, cleaned: dict[str, Any]) -> str:
    """The result page's address: the filters, and a token instead of the search text."""
    params: dict[str, str | int] = {}
    if cleaned["q"].strip():
        params["search"] = search.remember(request.session, cleaned["q"].strip())
    if cleaned["status"]:
        params["status"] = cleaned["status"]
    for name in ("unit", "assignee"):
        if cleaned[name]:
            params[name] = cleaned[name].pk
    return reverse("cases:list") + ("?" + urlencode(params) if params else "")


def _render_list(
    request: AuthenticatedRequest,
    form: CaseFilterForm,
    filters: case_selectors.CaseFilters | None,
    status: int = 200,
) -> HttpResponse:
    # The pager counts at most a thousand cases past the page's start (bokvar.paging):
    # a district's whole list is not counted on every page.
    asked = request.GET.get("page")
    pager: Paginator[Case]
    if filters is not None:
        pages, to_count = case_selectors.case_list_for_pager(request.user, filters)
        pager = CappedPaginator(
            pages,
            PAGE_SIZE,
            asked=asked,
            to_count=to_count,
            count_window=pages.count_window,
            page_and_count=pages.page_and_count,
        )
    else:
        pager = Paginator([], PAGE_SIZE)
    page: Page[Case] = pager.get_page(asked)
    # Kinds and statuses by name, each translated once a page (`get_kind_display` and
    # `get_status_display` translated every choice for every row: issue 22).
    kinds = {value: str(label) for value, label in Case.Kind.choices}
    statuses = {value: str(label) for value, label in Case.Status.choices}
    rows = [
        {
            "case": case,
            "name": case_selectors.head_name(case),
            "kind": kinds.get(case.kind, case.kind),
            "status": statuses.get(case.status, case.status),
        }
        for case in page.object_list
    ]
    if rows:
        # The list shows each case's main tenant by name: one read per case shown.
        record_reads(request, objs=[row["case"] for row in rows], how=How.PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "case_rows": presenters.case_list_rows(rows),
        "query": query.urlencode(),
        "may_create": roles_of(request.user).has(*CASE_STAFF),
    }
    context["content"] = presenters.case_list_content(context, csrf_token=get_token(request))
    return render(request, "cases/case_list.html", context, status=status)


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def case_create(request: AuthenticatedRequest) -> HttpResponse:
    units = case_selectors.units_for_new_cases(request.user)
    staff = case_selectors.staff_choices(request.user)
    offer = None
    if request.method == "POST":
        form = CaseCreateForm(request.POST, units=units, staff=staff)
        people = person_formset()(request.POST, prefix="people")
        children = child_formset()(request.POST, prefix="children")
        if form.is_valid() and people.is_valid() and children.is_valid():
            entered = [f.to_data() for f in people.forms if f.cleaned_data]
            with submitting(form, formsets={"people": people}) as result:
                case = case_services.register_case(
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    responsible_unit=form.cleaned_data["responsible_unit"],
                    assignees=list(form.cleaned_data["assignees"]),
                    people=entered,
                    children_birth_years=[
                        f.cleaned_data["birth_year"]
                        for f in children.forms
                        if f.cleaned_data.get("birth_year")
                    ],
                )
            if result.ok:
                if any(data.personal_number for data in entered):
                    # Made, or a registration request (a number held out of sight): the
                    # same answer, so that trying a number tells nothing (issue 16).
                    return registration_received_redirect(request)
                assert case is not None  # without a number nothing can be held
                messages.success(
                    request, _("Case %(number)s was created.") % {"number": case.number}
                )
                return redirect("cases:detail", case_id=case.pk)
            offer = new_case_offer(result.error, form.cleaned_data)
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


def registration_received_redirect(request: AuthenticatedRequest) -> HttpResponse:
    """The one answer to a registration with an identity number, whether the case was
    opened or the matter became a registration request because the number is held by
    someone out of the user's sight: same message, same address, same page. Opening the
    new case directly would tell the user that the number was free (issue 16, point 4)."""
    messages.success(request, _("The registration was received."))
    return redirect("cases:registration_received")


@role_required(*CASE_STAFF)
@require_http_methods(["GET"])
def registration_received(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "cases/registration_received.html")


def _rows(value: str | None, *, default: int, most: int) -> int:
    if value is None:
        return default
    try:
        return max(1, min(int(value), most))
    except ValueError:
        return default


@role_required(*CASE_PAGES)
@require_http_methods(["GET"])
def case_detail(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    # The case, whether the reader may write it and whether its household is hidden from
    # them: one query, kept for the sections (per_request.once).
    case = case_selectors.get_case_for_page(request, case_id)
    record_read(request, obj=case, how=How.PAGE)
    # Every list the sections show, in one query (case_page.ROWS).
    case_page.read_rows(request, case)
    timeline = case_page.timeline_for(request, case)
    members = people_selectors.household_members_once(request, case)
    may_write = case_selectors.may_write(request, case)
    sections: dict[str, Any] = {
        "case": case,
        "assignees": case_selectors.assignees_for_page(request, case),
        "people": people_selectors.household_cards(request.user, case, members=members),
        "children": people_selectors.household_children(request, case),
        "may_write": may_write,
        "may_grant": access.may_grant(request.user, case),
        "may_grant_protected": access.may_grant_protected(
            request.user, case, may_write=may_write, members=members
        ),
        "may_open_new_case": may_open_new_case(request.user, case),
    }
    changes = case_changes_for_page(request, case)
    first_screen = case_page.first_screen_for(request, case)
    latest_contacts = case_page.latest_contacts(timeline)
    panels = case_page.sections_for(request, case)
    context = {
        **sections,
        "first_screen": first_screen,
        "latest_contacts": latest_contacts,
        "panels": panels,
        "timeline": timeline,
        "changes": changes,
        "overview_and_page_nav": presenters.overview_and_page_nav(
            first_screen=first_screen,
            people=sections["people"],
            children=sections["children"],
            latest_contacts=latest_contacts,
            panels=panels,
        ),
        # The case's own sections, written in Python (presenters: a third of the page's
        # CPU went through the template engine, issue 22).
        "about_and_household": presenters.about_and_household(**sections),
        "timeline_and_changes": presenters.timeline_and_changes(
            case=case, timeline=timeline, changes=changes
        ),
    }
    return render(request, "cases/case_detail.html", context)


@role_required(*CASE_PAGES)
@require_http_methods(["GET", "POST"])
def case_edit(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    staff = case_selectors.staff_choices(request.user)
    conflict = ""
    if request.method == "POST":
        form = CaseEditForm(request.POST, staff=staff)
        if form.is_valid():
            with submitting(form) as result:
                case_services.update_case(
                    actor=request.user,
                    case_id=case.pk,
                    expected_version=form.cleaned_data["version"],
                    kind=form.cleaned_data["kind"],
                    assignees=list(form.cleaned_data["assignees"]),
                )
            if result.ok:
                messages.success(request, _("The case was saved."))
                return redirect("cases:detail", case_id=case.pk)
            conflict = result.conflict
    else:
        form = CaseEditForm(
            staff=staff,
            initial={
                "kind": case.kind,
                "assignees": [u.pk for u in case_selectors.assignees_of(case)],
                "version": case.version,
            },
        )
    # Logged whenever the page is shown (a refused or conflicting save re-renders it too),
    # never on the redirect after a save.
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "cases/case_edit.html",
        {"case": case, "form": form, "conflict": conflict},
        # A refused field is bad input (a conflict is not: the page offers the choice).
        status=400 if form.errors else 200,
    )


@role_required(*CASE_PAGES)
@require_http_methods(["GET", "POST"])
def case_close(request: AuthenticatedRequest, case_id: int) -> HttpResponse:
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    conflict = ""
    if request.method == "POST":
        form = CloseCaseForm(request.POST, case=case)
        if form.is_valid():
            with submitting(form) as result:
                case_services.close_case(
                    actor=request.user,
                    case_id=case.pk,
                    expected_version=form.cleaned_data["version"],
                    outcome=form.cleaned_data["outcome"],
                    closed_on=form.cleaned_data["closed_on"],
                )
            if result.ok:
                messages.success(request, _("The case was closed."))
                return redirect("cases:detail", case_id=case.pk)
            conflict = result.conflict
    else:
        form = CloseCaseForm(case=case, initial={"version": case.version})
    return render(
        request, "cases/case_close.html", {"case": case, "form": form, "conflict": conflict}
    )
