"""Pages of the partner register and the meeting places: thin views over
partners.services, partners.selectors and partners.reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bokvar.forms import submitting
from bokvar.models import District
from bokvar.permissions import role_required
from bokvar.roles import MEETING_PLACES, PARTNER_REGISTER

from . import exports, reports, selectors, services
from .forms import (
    CostForm,
    OpeningPeriodForm,
    PartnerForm,
    ReportForm,
    StaffingForm,
    TallyForm,
)
from .models import DailyTally, Partner, PlaceCost
from .services import PartnerData, TallyInput

PARTNER_FIELDS = [
    "name",
    "kind",
    "contact_person",
    "phone",
    "email",
    "website",
    "target_groups",
    "description",
    "agreement_from",
    "agreement_until",
    "is_active",
]


def _partner_data(cleaned: dict) -> PartnerData:
    return PartnerData(**{name: cleaned[name] for name in PARTNER_FIELDS})


@role_required(*PARTNER_REGISTER)
@require_http_methods(["GET"])
def partner_list(request):
    partners = selectors.partners_for(request.user).select_related("district", "meeting_place")
    return render(request, "partners/partner_list.html", {"partners": partners})


@role_required(*PARTNER_REGISTER)
@require_http_methods(["GET", "POST"])
def partner_new(request):
    districts = District.objects.filter(pk__in=selectors.register_district_ids(request.user))
    form = PartnerForm(request.POST or None, districts=districts)
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            partner = services.create_partner(
                actor=request.user,
                district=form.cleaned_data["district"],
                data=_partner_data(form.cleaned_data),
            )
        if result.ok:
            messages.success(request, _("The partner was registered."))
            if partner.kind == Partner.Kind.MEETING_PLACE:
                return redirect("partners:place", partner.meeting_place.pk)
            return redirect("partners:list")
    return render(request, "partners/form.html", {"form": form, "title": _("New partner")})


@role_required(*PARTNER_REGISTER)
@require_http_methods(["GET", "POST"])
def partner_edit(request, partner_id: int):
    partner = selectors.get_partner_for_user(request.user, partner_id)
    initial = {name: getattr(partner, name) for name in PARTNER_FIELDS}
    form = PartnerForm(request.POST or None, initial={**initial, "version": partner.version})
    conflict = ""
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            services.update_partner(
                actor=request.user,
                partner_id=partner.pk,
                expected_version=form.cleaned_data["version"] or 0,
                data=_partner_data(form.cleaned_data),
            )
        if result.ok:
            messages.success(request, _("The partner was saved."))
            return redirect("partners:list")
        conflict = result.conflict
    return render(
        request,
        "partners/form.html",
        {"form": form, "title": partner.name, "conflict": conflict},
    )


@role_required(*MEETING_PLACES)
@require_http_methods(["GET"])
def place_list(request):
    places = selectors.places_for(request.user).order_by("partner__name")
    return render(request, "partners/place_list.html", {"places": places})


@role_required(*MEETING_PLACES)
@require_http_methods(["GET"])
def place_detail(request, place_id: int):
    place = selectors.get_meeting_place_for_user(request.user, place_id)
    year = timezone.localdate().year
    recent = DailyTally.objects.filter(place=place).order_by("-day")[:14]
    return render(
        request,
        "partners/place_detail.html",
        {
            "place": place,
            "periods": place.opening_periods.all(),
            "costs": PlaceCost.objects.filter(place=place).order_by("-year", "kind"),
            "recent": recent,
            "year": year,
            "may_tally": selectors.may_tally(request.user, place),
            "may_manage": selectors.may_manage(request.user, place),
        },
    )


@role_required(*PARTNER_REGISTER)
@require_http_methods(["GET", "POST"])
def place_staffing(request, place_id: int):
    place = selectors.get_meeting_place_for_user(request.user, place_id, action="manage")
    form = StaffingForm(
        request.POST or None, initial={"staff_fte": place.staff_fte, "version": place.version}
    )
    conflict = ""
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            services.set_staffing(
                actor=request.user,
                place_id=place.pk,
                expected_version=form.cleaned_data["version"],
                staff_fte=form.cleaned_data["staff_fte"],
            )
        if result.ok:
            return redirect("partners:place", place.pk)
        conflict = result.conflict
    return render(
        request,
        "partners/form.html",
        {"form": form, "title": place.partner.name, "place": place, "conflict": conflict},
    )


@role_required(*PARTNER_REGISTER)
@require_http_methods(["GET", "POST"])
def opening_new(request, place_id: int):
    place = selectors.get_meeting_place_for_user(request.user, place_id, action="manage")
    form = OpeningPeriodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            services.add_opening_period(
                actor=request.user,
                place_id=place.pk,
                starts_on=c["starts_on"],
                ends_on=c["ends_on"],
                weekdays="".join(c["weekdays"]),
                opens_at=c["opens_at"],
                closes_at=c["closes_at"],
            )
        if result.ok:
            return redirect("partners:place", place.pk)
    return render(
        request,
        "partners/form.html",
        {"form": form, "title": _("New opening period"), "place": place},
    )


@role_required(*PARTNER_REGISTER)
@require_http_methods(["GET", "POST"])
def cost_set(request, place_id: int):
    place = selectors.get_meeting_place_for_user(request.user, place_id, action="manage")
    form = CostForm(request.POST or None, initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            services.set_cost(
                actor=request.user,
                place_id=place.pk,
                year=c["year"],
                kind=c["kind"],
                amount=c["amount"],
            )
        if result.ok:
            return redirect("partners:place", place.pk)
    return render(request, "partners/form.html", {"form": form, "title": _("Cost"), "place": place})


@role_required(*PARTNER_REGISTER)
@require_http_methods(["POST"])
def token_new(request, place_id: int):
    place = selectors.get_meeting_place_for_user(request.user, place_id, action="manage")
    key = services.create_place_token(actor=request.user, place_id=place.pk)
    # Shown once: only its hash is kept.
    return render(request, "partners/token.html", {"place": place, "key": key})


def _parse_day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@role_required(*MEETING_PLACES)
@require_http_methods(["GET", "POST"])
def tally(request, place_id: int):
    place = selectors.get_meeting_place_for_user(request.user, place_id, action="tally")
    day = _parse_day(request.POST.get("day") or request.GET.get("day"))
    existing = DailyTally.objects.filter(place=place, day=day).first()
    initial: dict[str, Any] = {"day": day}
    if existing is not None:
        initial |= {name: getattr(existing, name) for name in TallyForm.base_fields}
        initial["version"] = existing.version
    form = TallyForm(request.POST or None, initial=initial)
    conflict = ""
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            services.record_tally(
                actor=request.user,
                place=place,
                data=TallyInput(**{k: v for k, v in c.items() if k != "version"}),
                expected_version=c["version"],
            )
        if result.ok:
            messages.success(request, _("The day's tally was saved."))
            return redirect("partners:place", place.pk)
        conflict = result.conflict
    return render(
        request,
        "partners/tally.html",
        {"form": form, "place": place, "existing": existing, "conflict": conflict},
    )


def _report(request):
    """The report the query string asks for, over the places the user may read; with no
    place chosen, all of them."""
    places = list(selectors.places_for(request.user).order_by("partner__name"))
    form = ReportForm(request.GET or None, places=places)
    year = timezone.localdate().year - 1
    chosen = places
    if form.is_bound and form.is_valid():
        year = form.cleaned_data["year"]
        wanted = set(form.cleaned_data["place"])
        chosen = [p for p in places if p.pk in wanted] or places
    elif form.is_bound:
        return form, None
    return form, reports.annual_report(chosen, year)


def _bad_query(form) -> HttpResponse:
    problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
    return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")


@role_required(*MEETING_PLACES)
@require_http_methods(["GET"])
def report(request):
    form, result = _report(request)
    if result is None:
        response = render(request, "partners/report.html", {"form": form, "report": None})
        response.status_code = 400
        return response
    names = exports.labels()
    sections = [(p.partner.name, result.by_place[p.pk]) for p in result.places]
    if len(result.places) > 1:
        sections.insert(0, (_("All chosen places together"), result.total))
    tables = []
    for name, (current, previous) in sections:
        peak = max([*current.visits_by_month, *previous.visits_by_month, 1])
        tables.append(
            {
                "name": name,
                "rows": [
                    (names[key], getattr(current, key), getattr(previous, key))
                    for key in reports.FIGURES
                ],
                "months": [
                    {
                        "month": i + 1,
                        "current": current.visits_by_month[i],
                        "previous": previous.visits_by_month[i],
                        "current_pct": round(100 * current.visits_by_month[i] / peak),
                        "previous_pct": round(100 * previous.visits_by_month[i] / peak),
                    }
                    for i in range(12)
                ],
            }
        )
    return render(
        request,
        "partners/report.html",
        {
            "form": form,
            "report": result,
            "tables": tables,
            "query": request.GET.urlencode(),
        },
    )


def _download(request, kind: str):
    form, result = _report(request)
    if result is None:
        return _bad_query(form)
    filename = f"verksamhetsberattelse-{result.year}"
    if kind == "csv":
        response = HttpResponse(exports.to_csv(result), content_type="text/csv; charset=utf-8")
        filename += ".csv"
    else:
        response = HttpResponse(
            exports.to_xlsx(result),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        filename += ".xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@role_required(*MEETING_PLACES)
@require_http_methods(["GET"])
def report_csv(request):
    return _download(request, "csv")


@role_required(*MEETING_PLACES)
@require_http_methods(["GET"])
def report_xlsx(request):
    return _download(request, "xlsx")
