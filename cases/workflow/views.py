"""Workflow pages: triage queue, signals, threats, contacts and my deadlines. Thin:
parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.hooks import How, record_read, record_reads
from bokvar.concurrency import ConflictError
from bokvar.models import Role, Unit
from bokvar.permissions import role_required
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors

from . import contacts, imports, selectors, signals, threats
from .forms import (
    ContactForm,
    DismissForm,
    ImportForm,
    InterventionForm,
    LinkForm,
    OpenCaseForm,
    ReopenForm,
    SignalForm,
    ThreatForm,
)

TRIAGE = (Role.COORDINATOR,)
# Where create_case's errors belong on the open-case form.
OPEN_CASE_FIELDS = {"children": "children_birth_years"}
STAFF = (Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER)


def _add_errors(form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@role_required(*TRIAGE)
@require_http_methods(["GET"])
def signal_queue(request):
    rows = list(selectors.triage_queue(request.user))
    record_reads(request, objs=rows, how=How.PAGE)
    return render(request, "cases/workflow/signal_queue.html", {"signals": rows})


@role_required(*TRIAGE)
@require_http_methods(["GET", "POST"])
def signal_new(request):
    form = SignalForm(
        request.POST or None, districts=sorted(roles_of(request.user).coordinator_district_ids)
    )
    if request.method == "POST" and form.is_valid():
        try:
            signal = signals.register_signal(
                actor=request.user,
                landlord=form.cleaned_data["landlord"],
                data=form.to_input(),
                district=form.cleaned_data.get("district"),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The signal was registered."))
            return redirect("cases:signal", signal_id=signal.pk)
    return render(request, "cases/workflow/signal_form.html", {"form": form})


def _units(user):
    return Unit.objects.filter(
        district_id__in=roles_of(user).coordinator_district_ids, is_active=True
    )


@role_required(*STAFF)
@require_http_methods(["GET"])
def signal_detail(request, signal_id: int):
    signal = selectors.get_signal_for_user(request.user, signal_id)
    return _render_signal(request, signal)


def _render_signal(request, signal, *, open_form=None, dismiss_form=None, status=200):
    # Every rendering of the page is a read, a refused triage form included.
    record_read(request, obj=signal, how=How.PAGE)
    repeat_of = signal.repeat_of if signal.repeat_of_id else None
    waits_for_first = repeat_of is not None and repeat_of.status == "untriaged"
    may_triage = (
        signal.status == "untriaged"
        and not waits_for_first
        and selectors.may_triage_signal(request.user, signal)
    )
    context = {
        "signal": signal,
        "may_triage": may_triage,
        "repeat_of": repeat_of,
        "repeats": selectors.repeats_of(signal),
    }
    if may_triage:
        context["suggestions"] = selectors.triage_suggestions(request.user, signal)
        context["open_form"] = open_form or OpenCaseForm(
            units=_units(request.user),
            staff=case_selectors.staff_choices(request.user),
            initial={
                "personal_number": signal.tenant_personal_number,
                "version": signal.version,
                "assignees": [request.user.pk],
                "responsible_unit": _units(request.user)
                .filter(pk__in=roles_of(request.user).unit_ids)
                .first(),
            },
        )
        context["dismiss_form"] = dismiss_form or DismissForm(initial={"version": signal.version})
    return render(request, "cases/workflow/signal_detail.html", context, status=status)


@role_required(*STAFF)
@require_POST
def signal_link(request, signal_id: int):
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a case to link the signal to."))
        return redirect("cases:signal", signal_id=signal.pk)
    try:
        signals.link_signal(
            actor=request.user,
            signal_id=signal.pk,
            expected_version=form.cleaned_data["version"],
            case_id=form.cleaned_data["case"],
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("cases:signal", signal_id=signal.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("cases:signal", signal_id=signal.pk)
    messages.success(request, _("The signal was linked to the case."))
    return redirect("cases:detail", case_id=form.cleaned_data["case"])


@role_required(*STAFF)
@require_POST
def signal_reopen_case(request, signal_id: int):
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a case to reopen."))
        return redirect("cases:signal", signal_id=signal.pk)
    c = form.cleaned_data
    try:
        case = signals.reopen_case_for_signal(
            actor=request.user,
            signal_id=signal.pk,
            expected_version=c["version"],
            case_id=c["case"],
            case_version=c["case_version"],
        )
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("cases:signal", signal_id=signal.pk)
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        return redirect("cases:signal", signal_id=signal.pk)
    messages.success(
        request,
        _("Case %(number)s was reopened and the signal linked to it.") % {"number": case.number},
    )
    return redirect("cases:detail", case_id=case.pk)


@role_required(*STAFF)
@require_POST
def signal_open_case(request, signal_id: int):
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = OpenCaseForm(
        request.POST, units=_units(request.user), staff=case_selectors.staff_choices(request.user)
    )
    if form.is_valid():
        c = form.cleaned_data
        try:
            case = signals.open_case_from_signal(
                actor=request.user,
                signal_id=signal.pk,
                expected_version=c["version"],
                responsible_unit=c["responsible_unit"],
                assignees=list(c["assignees"]),
                given_name=c["given_name"],
                family_name=c["family_name"],
                personal_number=c["personal_number"],
                children_birth_years=c["children_birth_years"],
            )
        except signals.SignalForwarded:
            messages.info(request, _("The signal was forwarded to the responsible district."))
            return redirect("cases:signals")
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                field = OPEN_CASE_FIELDS.get(field, field.removeprefix("people-0-"))
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Case %(number)s was opened.") % {"number": case.number})
            return redirect("cases:detail", case_id=case.pk)
    return _render_signal(request, signal, open_form=form, status=400)


@role_required(*STAFF)
@require_POST
def signal_dismiss(request, signal_id: int):
    signal = selectors.get_signal_for_user(request.user, signal_id, write=True)
    form = DismissForm(request.POST)
    if form.is_valid():
        try:
            signals.dismiss_signal(
                actor=request.user,
                signal_id=signal.pk,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The signal was dismissed."))
            return redirect("cases:signals")
    return _render_signal(request, signal, dismiss_form=form, status=400)


@role_required(*TRIAGE)
@require_http_methods(["GET", "POST"])
def signal_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    rejected = []
    if request.method == "POST" and form.is_valid():
        try:
            created = imports.import_signals(
                landlord=form.cleaned_data["landlord"],
                data=form.cleaned_data["file"].read(),
                actor=request.user,
            )
        except imports.ImportRejected as exc:
            rejected = exc.errors
        else:
            messages.success(
                request, _("%(count)s signals were imported.") % {"count": len(created)}
            )
            return redirect("cases:signals")
    return render(
        request,
        "cases/workflow/signal_import.html",
        {"form": form, "rejected": rejected, "columns": imports.COLUMNS},
        status=400 if rejected else 200,
    )


# --- Threats, contacts, interventions ---------------------------------------------------


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def threat_new(request, case_id: int):
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = ThreatForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            threats.create_threat(actor=request.user, case_id=case.pk, data=form.to_data())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The eviction threat was saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request, "cases/workflow/threat_form.html", {"case": case, "form": form, "threat": None}
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def threat_edit(request, case_id: int, threat_id: int):
    case, threat = selectors.get_threat_for_user(request.user, case_id, threat_id, write=True)
    conflict = None
    if request.method == "POST":
        form = ThreatForm(request.POST)
        if form.is_valid():
            try:
                threats.update_threat(
                    actor=request.user,
                    case_id=case.pk,
                    threat_id=threat.pk,
                    expected_version=form.cleaned_data["version"] or 0,
                    data=form.to_data(),
                )
            except ConflictError as exc:
                conflict = exc.message
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("The eviction threat was saved."))
                return redirect("cases:detail", case_id=case.pk)
    else:
        initial = {name: getattr(threat, name) for name in ThreatForm.base_fields}
        initial["version"] = threat.version
        form = ThreatForm(initial=initial)
    record_read(request, obj=case, how=How.PAGE)
    return render(
        request,
        "cases/workflow/threat_form.html",
        {"case": case, "form": form, "threat": threat, "conflict": conflict},
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def contact_new(request, case_id: int):
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = ContactForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            contacts.record_contact(actor=request.user, case_id=case.pk, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The contact was saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/workflow/entry_form.html",
        {"case": case, "form": form, "heading": _("New contact")},
    )


@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def intervention_new(request, case_id: int):
    case = case_selectors.get_case_for_user(request.user, case_id, write=True)
    form = InterventionForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            contacts.record_intervention(actor=request.user, case_id=case.pk, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The intervention was saved."))
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/workflow/entry_form.html",
        {"case": case, "form": form, "heading": _("New intervention")},
    )


@role_required(*STAFF)
@require_http_methods(["GET"])
def my_deadlines(request):
    today = timezone.localdate()
    rows = list(selectors.my_deadlines(request.user)[:200])
    # Deadlines (eviction dates, recovery deadlines) are the cases' data: one read per case.
    cases_shown = {d.case_id: d.case for d in rows}
    if cases_shown:
        record_reads(request, objs=list(cases_shown.values()), how=How.PAGE)
    return render(
        request,
        "cases/workflow/my_deadlines.html",
        {
            "overdue": [d for d in rows if d.due_on < today],
            "upcoming": [d for d in rows if d.due_on >= today],
            "today": today,
        },
    )


@role_required(*STAFF)
@require_POST
def deadline_done(request, deadline_id: int):
    deadline = contacts.complete_deadline(actor=request.user, deadline_id=deadline_id)
    messages.success(request, _("The deadline was marked as done."))
    if request.POST.get("next") == "case":
        return redirect("cases:detail", case_id=deadline.case_id)
    return redirect("cases:deadlines")
