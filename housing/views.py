"""Housing pages: thin views over housing.services, housing.nights and housing.selectors."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from audit.hooks import How, record_read, record_reads
from bokvar.forms import YearForm, bad_request_naming_fields, submitting
from bokvar.models import District, Role, Unit, User
from bokvar.permissions import role_required
from bokvar.roles import CASE_STAFF, HOUSING
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors
from cases.models import Case

from . import nights, selectors, services
from .forms import (
    ApartmentForm,
    ApartmentStatusForm,
    CostItemForm,
    EndPlacementForm,
    ImportForm,
    NightsForm,
    NoteForm,
    PeriodForm,
    PlacementForm,
)
from .models import Apartment


@role_required(*HOUSING)
@require_http_methods(["GET"])
def apartment_list(request):
    apartments = list(
        selectors.apartments_for(request.user).order_by("status", "status_since", "reference")
    )
    return render(
        request,
        "housing/apartment_list.html",
        {
            "vacant": [a for a in apartments if a.status == Apartment.Status.VACANT],
            "apartments": [a for a in apartments if a.in_stock],
            "left_stock": [a for a in apartments if not a.in_stock],
            "may_add": roles_of(request.user).coordinator_district_ids,
        },
    )


@role_required(Role.COORDINATOR)
@require_http_methods(["GET", "POST"])
def apartment_new(request):
    district_ids = roles_of(request.user).coordinator_district_ids
    form = ApartmentForm(
        request.POST or None, districts=District.objects.filter(pk__in=district_ids)
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            apartment = services.create_apartment(
                actor=request.user,
                # A coordinator of several districts chooses; of one, it is that one.
                district_id=c["district"].pk if "district" in c else min(district_ids),
                kind=c["kind"],
                reference=c["reference"],
                address=c["address"],
                rent=c["rent"],
                landlord=c["landlord"],
                municipality_first_hand=c["municipality_first_hand"],
                status_since=c["status_since"],
            )
        if result.ok:
            messages.success(request, _("The apartment was registered."))
            return redirect("housing:apartment", apartment_id=apartment.pk)
    return render(request, "housing/form.html", {"form": form, "title": _("New apartment")})


def _apartment_page(request, apartment, *, status_form=None, conflict=None):
    visible = set(
        case_selectors.visible_cases(request.user)
        .filter(placements__apartment=apartment)
        .values_list("pk", flat=True)
    )
    placements = list(apartment.placements.select_related("case", "guide").order_by("-start_on"))
    current = any(p.end_on is None for p in placements)
    may_set_status = (
        apartment.in_stock
        and not current
        and selectors.may_administer_apartment(request.user, apartment)
    )
    if may_set_status and status_form is None:
        status_form = ApartmentStatusForm(
            initial={"status": apartment.status, "version": apartment.version}
        )
    # A refused change is shown with its reason, even where the form is no longer offered.
    show_form = status_form is not None and (may_set_status or status_form.is_bound)
    return render(
        request,
        "housing/apartment_detail.html",
        {
            "apartment": apartment,
            "placements": placements,
            "visible": visible,
            "current": current,
            "status_form": status_form if show_form else None,
            "conflict": conflict,
        },
    )


@role_required(*HOUSING)
@require_http_methods(["GET"])
def apartment_detail(request, apartment_id: int):
    apartment = selectors.get_apartment_for_user(request.user, apartment_id)
    return _apartment_page(request, apartment)


@role_required(*HOUSING)
@require_http_methods(["POST"])
def apartment_status(request, apartment_id: int):
    apartment = selectors.get_apartment_for_user(request.user, apartment_id, write=True)
    form = ApartmentStatusForm(request.POST)
    conflict = None
    if form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            services.set_apartment_status(
                actor=request.user,
                apartment_id=apartment.pk,
                expected_version=c["version"],
                status=c["status"],
                since=c["since"],
            )
        if result.ok:
            messages.success(request, _("The apartment's status was changed."))
            return redirect("housing:apartment", apartment_id=apartment.pk)
        conflict = result.conflict
    return _apartment_page(request, apartment, status_form=form, conflict=conflict)


def _people_of(user, case):
    people = people_selectors.visible_members(user, case.household_id)
    return people, {p.pk: p.full_name for p in people}


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def nights_new(request, case_id: int):
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    people, names = _people_of(request.user, case)
    district_id = case.responsible_unit.district_id
    units = Unit.objects.filter(district_id=district_id, is_active=True)
    form = NightsForm(
        request.POST or None,
        people=people,
        units=units,
        units_key=(units.db, "active units of the district", district_id),
        names=names,
        initial={"paying_unit": case.responsible_unit_id, "first": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            created = nights.register_range(
                actor=request.user,
                person=c["person"],
                shelter=c["shelter"],
                first=c["first"],
                last=c["last"],
                paying_unit=c["paying_unit"],
                during_placement_confirmed=c["during_placement_confirmed"],
            )
        if result.ok:
            messages.success(
                request, _("%(n)s shelter nights were registered.") % {"n": len(created)}
            )
            return redirect("cases:detail", case_id=case.pk)
    # The person choice names the household's members.
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "housing/form.html",
        {"form": form, "case": case, "title": _("Register shelter nights")},
    )


@role_required(*HOUSING)
@require_http_methods(["GET", "POST"])
def nights_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        rows, problems = nights.parse_csv(form.cleaned_data["file"].read())
        result = (
            nights.BatchResult(errors=problems)
            if problems
            else nights.import_batch(actor=request.user, rows=rows, source="import")
        )
        if result.ok:
            messages.success(
                request,
                _("%(n)s nights imported; %(d)s already registered and skipped.")
                % {"n": result.created, "d": len(result.duplicates)},
            )
    refused = bool(form.errors) or (result is not None and not result.ok)
    return render(
        request,
        "housing/import.html",
        {"form": form, "result": result},
        status=400 if refused else 200,
    )


@role_required(*HOUSING)
@require_http_methods(["GET", "POST"])
def placement_new(request, case_id: int):
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    district_id = case.responsible_unit.district_id
    if not selectors.may_place(request.user, case):
        raise PermissionDenied
    apartments = selectors.apartments_for(request.user).filter(status=Apartment.Status.VACANT)
    guides = User.objects.filter(
        memberships__role=Role.GUIDE, memberships__unit__district_id=district_id
    )
    if district_id not in roles_of(request.user).coordinator_district_ids:
        # A guide records the placements she follows herself.
        guides = guides.filter(pk=request.user.pk)
    form = PlacementForm(
        request.POST or None,
        apartments=apartments,
        guides=guides.distinct(),
        initial={"guide": request.user.pk if guides.filter(pk=request.user.pk).exists() else None},
    )
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            placement = services.start_placement(
                actor=request.user,
                case_id=case.pk,
                apartment_id=c["apartment"].pk,
                start_on=c["start_on"],
                guide=c["guide"],
                monthly_cost=c["monthly_cost"],
                plan=c["plan"],
                contract_type=c["contract_type"],
                agreed_end_on=c.get("agreed_end_on"),
                goals={k: c[k] for k in ("running_home", "managing_money", "social_skills")},
            )
        if result.ok:
            messages.success(request, _("The placement was started."))
            return redirect("housing:placement", placement_id=placement.pk)
    return render(
        request, "housing/form.html", {"form": form, "case": case, "title": _("New placement")}
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def placement_detail(request, placement_id: int):
    placement = selectors.get_placement_for_user(request.user, placement_id)
    form = NoteForm(request.POST or None)
    may_follow = services.may_follow(request.user, placement)
    if request.method == "POST":
        if not may_follow:
            raise PermissionDenied
        if form.is_valid():
            with submitting(form) as result:
                services.add_progress_note(
                    actor=request.user,
                    placement_id=placement.pk,
                    on=form.cleaned_data["on"],
                    note=form.cleaned_data["note"],
                )
            if result.ok:
                messages.success(request, _("The note was saved."))
                return redirect("housing:placement", placement_id=placement.pk)
    record_read(request, obj=placement.case, how=How.PAGE)
    return render(
        request,
        "housing/placement_detail.html",
        {
            "placement": placement,
            # The plan and the notes are free text about the household (the one rule).
            "withheld": people_selectors.Sight(request.user).hides_case(placement.case),
            "notes": placement.notes.select_related("author"),
            "form": form,
            "may_follow": may_follow,
        },
    )


@role_required(*HOUSING)
@require_http_methods(["GET", "POST"])
def placement_end(request, placement_id: int):
    placement = selectors.get_placement_for_user(request.user, placement_id)
    case_selectors.get_case_for_user(request.user, placement.case_id, write=True)
    if not services.may_follow(request.user, placement):
        raise PermissionDenied
    form = EndPlacementForm(request.POST or None, initial={"version": placement.version})
    conflict = None
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            services.end_placement(
                actor=request.user,
                placement_id=placement.pk,
                expected_version=c["version"],
                end_on=c["end_on"],
                outcome=c["outcome"],
                takeover_on=c["takeover_on"],
            )
        if result.ok:
            messages.success(request, _("The placement was ended."))
            return redirect("housing:placement", placement_id=placement.pk)
        conflict = result.conflict
    return render(
        request,
        "housing/form.html",
        {"form": form, "title": _("End placement"), "conflict": conflict},
    )


@role_required(*CASE_STAFF)
@require_http_methods(["GET", "POST"])
def cost_new(request, case_id: int):
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = CostItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            services.add_cost_item(
                actor=request.user,
                case_id=case.pk,
                category=c["category"],
                on=c["on"],
                amount=c["amount"],
                note=c["note"],
            )
        if result.ok:
            messages.success(request, _("The cost was added."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request, "housing/form.html", {"form": form, "case": case, "title": _("Add a cost")}
    )


@role_required(*CASE_STAFF)
@require_http_methods(["POST"])
def cost_remove(request, case_id: int, item_id: int):
    services.remove_cost_item(actor=request.user, case_id=case_id, item_id=item_id)
    messages.success(request, _("The cost was removed."))
    return redirect("cases:detail", case_id=case_id)


@role_required(*CASE_STAFF)
@require_http_methods(["POST"])
def night_remove(request, case_id: int, night_id: int):
    nights.remove_night(actor=request.user, case_id=case_id, night_id=night_id)
    messages.success(request, _("The shelter night was removed."))
    return redirect("cases:detail", case_id=case_id)


@role_required(*CASE_STAFF)
@require_http_methods(["GET"])
def forecast(request):
    if "year" in request.GET:
        form = YearForm(request.GET)
        if not form.is_valid():
            return bad_request_naming_fields(form)
        year = form.cleaned_data["year"]
    else:
        year = timezone.localdate().year
    rows = selectors.forecasts(request.user, year=year, as_of=timezone.localdate())
    rows = [r for r in rows if r.so_far]
    if rows:
        # Each row is one client's costs (shelter nights, placements): one read per case.
        record_reads(
            request,
            objs=[Case(pk=r.case_id, responsible_unit_id=r.unit_id) for r in rows],
            how=How.PAGE,
        )
    units = {u.pk: u.name for u in Unit.objects.filter(pk__in={r.unit_id for r in rows})}
    totals = [
        (units[uid], so_far, fc)
        for uid, (so_far, fc) in sorted(selectors.totals_per_unit(rows).items())
    ]
    return render(
        request,
        "housing/forecast.html",
        {"rows": rows, "units": units, "totals": totals, "year": year},
    )


# The districts' housing teams, coordinators and guides alike: compare_for_user counts
# the districts where the user is either.
@role_required(*HOUSING)
@require_http_methods(["GET"])
def comparison(request):
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, initial={"start": date(today.year, 1, 1), "end": today})
    result = None
    if form.is_valid():
        result = selectors.compare_for_user(
            request.user, form.cleaned_data["start"], form.cleaned_data["end"]
        )
    return render(
        request,
        "housing/comparison.html",
        {"form": form, "result": result},
        status=400 if form.errors else 200,
    )
