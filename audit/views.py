"""Audit pages: log review, readable change history, data-subject extract, legal holds."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from bokvar import roles
from bokvar.forms import bad_request_naming_fields, submitting
from bokvar.models import Unit, User
from bokvar.paging import CappedPaginator
from bokvar.permissions import role_required

from . import history, pdf, presentation, presenters, review, services
from .forms import HoldForm, LogFilterForm, PersonSearchForm, ReviewForm
from .hooks import How, record_read
from .models import ExtractRelease, LegalHold
from .registry import subjects

PAGE_SIZE = 50


@role_required(*roles.AUDITORS)
@require_http_methods(["GET", "POST"])
def index(request):
    form = PersonSearchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = subjects().find_person_for_auditor(
            request.user, form.cleaned_data["personal_number"]
        )
        if person is None:
            # Never echo the number back: the message names the field only.
            form.add_error("personal_number", _("Nobody with this identity number is registered."))
        else:
            record_read(request, obj=person, how=How.LOOKUP)
            return redirect("audit:subject", person_id=person.pk)
    return render(request, "audit/index.html", {"form": form})


@role_required(*roles.AUDITORS)
@require_http_methods(["GET", "POST"])
def subject(request, person_id: int):
    """What an auditor can do about one person: ids only on this page, no personal data."""
    person = subjects().person_for_auditor(request.user, person_id)
    form = HoldForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            services.place_legal_hold(
                actor=request.user, person_id=person.pk, reason=form.cleaned_data["reason"]
            )
        if result.ok:
            messages.success(request, _("The legal hold was placed."))
            return redirect("audit:subject", person_id=person.pk)
    holds = LegalHold.objects.filter(person_id=person.pk).order_by("-set_at")
    return render(
        request, "audit/subject.html", {"person_id": person.pk, "form": form, "holds": holds}
    )


@role_required(*roles.AUDITORS)
@require_http_methods(["POST"])
def hold_release(request, person_id: int, hold_id: int):
    subjects().person_for_auditor(request.user, person_id)
    with submitting() as result:
        services.release_legal_hold(actor=request.user, hold_id=hold_id)
    if result.ok:
        messages.success(request, _("The legal hold was released."))
    else:
        messages.error(request, result.message)
    return redirect("audit:subject", person_id=person_id)


def _filters(request) -> tuple[LogFilterForm, review.LogFilters]:
    form = LogFilterForm(
        request.GET or None,
        units=Unit.objects.filter(is_active=True),
        users=User.objects.all(),
        find_case=lambda number: subjects().find_case_id_for_auditor(request.user, number),
    )
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        return form, review.LogFilters(
            start=d["start"],
            end=d["end"],
            unit_id=d["unit"].pk if d["unit"] else None,
            how=d["how"],
            user_id=form.reader().pk if form.reader() else None,
            person_id=d["person"],
            case_id=d["case"],
            flagged=d["flagged"],
            awaiting_review=d["awaiting_review"],
        )
    return form, review.LogFilters()


@role_required(*roles.AUDITORS)
@require_http_methods(["GET", "POST"])
def log(request):
    """The access log, filtered. A POST is the search by identity number: it is logged
    as a lookup and redirects to the person's reads (the number never enters an address)."""
    search = PersonSearchForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and search.is_valid():
        person = subjects().find_person_for_auditor(
            request.user, search.cleaned_data["personal_number"]
        )
        if person is not None:
            record_read(request, obj=person, how=How.LOOKUP)
            return redirect(f"{reverse('audit:log')}?{urlencode({'person': person.pk})}")
        search.add_error("personal_number", _("Nobody with this identity number is registered."))
    form, filters = _filters(request)
    status = 200
    if search.is_bound or (form.is_bound and not form.is_valid()):
        # A filter or a search that cannot be used: the page says which field, as a 400.
        rows: list[review.NamedRow] = []
        page = None
        status = 400
    else:
        # The log grows by a row per read: its pager counts at most a thousand entries
        # past the page's start, not the whole log (bokvar.paging).
        asked = request.GET.get("page")
        page = CappedPaginator(review.entries(filters), PAGE_SIZE, asked=asked).get_page(asked)
        rows = review.named(review.flag(list(page.object_list)), request.user)
    query = request.GET.copy()
    query.pop("page", None)
    # "Every user's reads": the same filters without the reader.
    everyone = query.copy()
    for name in ("user", "username"):
        everyone.pop(name, None)
    reader = form.reader_label() if form.is_bound and form.is_valid() else ""
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "reader": reader,
            "everyone": everyone.urlencode(),
            "search": search,
            "review_form": ReviewForm(),
            "rows": rows,
            "log_rows": presenters.log_rows(
                rows,
                csrf_input=csrf_input(request),
                next_path=request.get_full_path(),
            ),
            "page": page,
            "query": query.urlencode(),
        },
        status=status,
    )


@role_required(*roles.AUDITORS)
@require_POST
def log_review(request, seq: int):
    """Mark one read reviewed, with a comment; back to the log as it was filtered."""
    form = ReviewForm(request.POST)
    back = request.POST.get("next", "")
    # A path on this site only: anything else (a name, a date) would be taken by
    # `redirect` for a view's name.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        back = reverse("audit:log")
    if form.is_valid():
        with submitting(form) as result:
            services.review_read(actor=request.user, seq=seq, comment=form.cleaned_data["comment"])
        if result.ok:
            messages.success(request, _("The read was marked as reviewed."))
            return redirect(back)
    # Refused: a 400 that names the field and says why, nothing saved.
    problems = [f"{form[f].label}: {' '.join(str(e) for e in errors)}" for f, errors in
                form.errors.items() if f in form.fields]  # fmt: skip
    problems += [" ".join(str(e) for e in form.errors.get(f, [])) for f in form.errors
                 if f not in form.fields]  # fmt: skip
    return HttpResponse("; ".join(problems), status=400, content_type="text/plain; charset=utf-8")


@role_required(*roles.AUDITORS)
@require_http_methods(["GET"])
def log_csv(request):
    form, filters = _filters(request)
    if form.is_bound and not form.is_valid():
        return bad_request_naming_fields(form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "seq",
            "at",
            "user_id",
            "username",
            "reader",
            "object_type",
            "object_id",
            "record",
            "how",
            "ip",
            "person_id",
            "case_id",
            "case_number",
            "unit_id",
            "unit",
            "flags",
            "reviewed_by",
            "reviewed_at",
        ]
    )
    qs = review.entries(filters)
    for start in range(0, qs.count(), 2000):
        for row in review.named(review.flag(list(qs[start : start + 2000])), request.user):
            e = row.entry
            done = getattr(e, "review", None)
            writer.writerow(
                [
                    e.seq,
                    timezone.localtime(e.at).isoformat(),
                    e.user_id,
                    e.user.username if e.user else "",
                    row.reader,
                    e.object_type,
                    e.object_id,
                    row.record,
                    e.how,
                    e.ip,
                    # Ids only for people: a file travels, the page stays here.
                    e.person_id or "",
                    e.case_id or "",
                    row.case,
                    e.unit_id or "",
                    row.unit,
                    " ".join(row.flags),
                    done.reviewed_by.username if done else "",
                    timezone.localtime(done.reviewed_at).isoformat() if done else "",
                ]
            )
    return response


@role_required(*roles.HISTORY)
@require_http_methods(["GET"])
def case_history(request, case_id: int):
    case = subjects().case_for_history(request.user, case_id)
    record_read(request, obj=case, how=How.PAGE)
    rows = history.changes(request.user, case_id=case.pk)
    return render(request, "audit/history.html", {"case": case, "rows": rows})


@role_required(*roles.HISTORY)
@require_http_methods(["GET"])
def person_history(request, person_id: int):
    person = subjects().person_for_history(request.user, person_id)
    record_read(request, obj=person, how=How.PAGE)
    rows = history.changes(request.user, person_id=person.pk)
    return render(request, "audit/history.html", {"person_id": person.pk, "rows": rows})


@role_required(*roles.AUDITORS)
@require_http_methods(["GET"])
def extract_page(request, person_id: int):
    person = subjects().person_for_auditor(request.user, person_id)
    record_read(request, obj=person, how=How.EXTRACT)
    # The readable extract: grouped by topic, local times, display values, no ids.
    extract = presentation.readable(person.pk)
    releases = ExtractRelease.objects.filter(person_id=person.pk).select_related(
        "approved_by", "released_by"
    )
    return render(
        request,
        "audit/extract.html",
        {
            "extract": extract,
            "person_id": person.pk,
            "releases": releases.order_by("-approved_at"),
            "pending": releases.filter(released_at__isnull=True).first(),
        },
    )


@role_required(*roles.AUDITORS)
@require_POST
def extract_review(request, person_id: int):
    """Approve the reviewed extract, or release an approved one; each step is logged."""
    person = subjects().person_for_auditor(request.user, person_id)
    step = request.POST.get("step")
    if step not in ("approve", "release"):
        return HttpResponse(_("Choose approve or release."), status=400, content_type="text/plain")
    action = services.approve_extract if step == "approve" else services.release_extract
    with submitting() as result:
        action(actor=request.user, person_id=person.pk)
    if result.ok:
        messages.success(
            request,
            _("The extract was approved.") if step == "approve" else _("The extract was released."),
        )
    else:
        messages.error(request, result.message)
    return redirect("audit:extract", person_id=person.pk)


@role_required(*roles.AUDITORS)
@require_http_methods(["GET"])
def extract_json(request, person_id: int):
    person = subjects().person_for_auditor(request.user, person_id)
    record_read(request, obj=person, how=How.EXTRACT)
    # The readable extract for machines, not the internal dump: no ids, others withheld.
    response = JsonResponse(
        presentation.as_json(presentation.readable(person.pk)),
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )
    response["Content-Disposition"] = 'attachment; filename="registerutdrag.json"'
    return response


@role_required(*roles.AUDITORS)
@require_http_methods(["GET"])
def extract_pdf(request, person_id: int):
    """The readable extract as a file to hand over (PDF)."""
    person = subjects().person_for_auditor(request.user, person_id)
    record_read(request, obj=person, how=How.EXTRACT)
    response = HttpResponse(pdf.render(presentation.readable(person.pk)), "application/pdf")
    response["Content-Disposition"] = 'attachment; filename="registerutdrag.pdf"'
    return response
