"""Pages of the client surveys: the owners' pages (build, codes, paper answers, results)
and the public answer page, which needs no login. Thin views over
partners.survey_services, partners.selectors and partners.survey_results."""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bokvar.conf import setting
from bokvar.forms import add_service_errors, submitting
from bokvar.models import Unit
from bokvar.net import client_ip
from bokvar.permissions import role_required
from bokvar.roles import SURVEY_OWNERS, SURVEYS

from . import selectors, survey_services
from .models import MeetingPlace, Survey
from .survey_forms import (
    AnswerForm,
    CodeForm,
    CodesForm,
    QuestionForm,
    SurveyForm,
    VersionForm,
    owner_of,
)
from .survey_results import survey_results
from .survey_services import CodeUsed, QuestionData, SurveyData

# --- the owners' pages -------------------------------------------------------------


@role_required(*SURVEYS)
@require_http_methods(["GET"])
def survey_list(request):
    surveys = selectors.surveys_for(request.user).order_by("-created_on", "title")
    owned = set(selectors.owned_surveys(request.user).values_list("pk", flat=True))
    rows = [(s, s.pk in owned) for s in surveys]
    may_create = bool(
        selectors.survey_unit_ids(request.user) or selectors.survey_place_ids(request.user)
    )
    return render(request, "partners/survey_list.html", {"rows": rows, "may_create": may_create})


def _owners(user):
    units = list(Unit.objects.filter(pk__in=selectors.survey_unit_ids(user)).order_by("name"))
    places = list(
        MeetingPlace.objects.filter(pk__in=selectors.survey_place_ids(user))
        .select_related("partner")
        .order_by("partner__name")
    )
    return units, places


@role_required(*SURVEY_OWNERS)
@require_http_methods(["GET", "POST"])
def survey_new(request):
    units, places = _owners(request.user)
    form = SurveyForm(request.POST or None, units=units, places=places)
    if request.method == "POST" and form.is_valid():
        unit, place = owner_of(form.cleaned_data["owner"], units=units, places=places)
        with submitting(form) as result:
            survey = survey_services.create_survey(
                actor=request.user,
                data=SurveyData(
                    title=form.cleaned_data["title"],
                    introduction=form.cleaned_data["introduction"],
                ),
                unit=unit,
                place=place,
            )
        if result.ok:
            return redirect("partners:survey", survey.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request, "partners/form.html", {"form": form, "title": _("New survey")}, status=status
    )


@role_required(*SURVEY_OWNERS)
@require_http_methods(["GET"])
def survey_detail(request, survey_id: int):
    survey = selectors.get_survey_for_user(request.user, survey_id, action="manage")
    form = QuestionForm(initial={"version": survey.version})
    return render(
        request,
        "partners/survey_detail.html",
        {
            "survey": survey,
            "questions": survey.questions.order_by("position"),
            "form": form,
            "codes_used": survey.codes.filter(used=True).count(),
            "codes_total": survey.codes.count(),
            "responses": survey.responses.count(),
        },
    )


@role_required(*SURVEY_OWNERS)
@require_http_methods(["GET", "POST"])
def question_new(request, survey_id: int):
    survey = selectors.get_survey_for_user(request.user, survey_id, action="manage")
    form = QuestionForm(request.POST or None, initial={"version": survey.version})
    conflict = ""
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        with submitting(form) as result:
            survey_services.add_question(
                actor=request.user,
                survey_id=survey.pk,
                expected_version=c["version"],
                data=QuestionData(
                    kind=c["kind"],
                    text=c["text"],
                    options=c["options"].splitlines(),
                    scale_min=c["scale_min"],
                    scale_max=c["scale_max"],
                    required=c["required"],
                ),
            )
        if result.ok:
            return redirect("partners:survey", survey.pk)
        conflict = result.conflict
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "partners/survey_form.html",
        {"form": form, "survey": survey, "title": _("New question"), "conflict": conflict},
        status=status,
    )


@role_required(*SURVEY_OWNERS)
@require_http_methods(["POST"])
def question_remove(request, survey_id: int, question_id: int):
    survey = selectors.get_survey_for_user(request.user, survey_id, action="manage")
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _bad_request(form)
    with submitting(form) as result:
        survey_services.remove_question(
            actor=request.user,
            survey_id=survey.pk,
            expected_version=form.cleaned_data["version"],
            question_id=question_id,
        )
    if not result.ok:
        messages.error(request, result.message)
    return redirect("partners:survey", survey.pk)


@role_required(*SURVEY_OWNERS)
@require_http_methods(["POST"])
def survey_status(request, survey_id: int):
    survey = selectors.get_survey_for_user(request.user, survey_id, action="manage")
    form = VersionForm(request.POST)
    status = request.POST.get("status", "")
    if not form.is_valid():
        return _bad_request(form)
    if status not in Survey.Status.values:
        return HttpResponse(
            "status: " + _("Choose a status."), status=400, content_type="text/plain; charset=utf-8"
        )
    with submitting(form) as result:
        survey_services.set_status(
            actor=request.user,
            survey_id=survey.pk,
            expected_version=form.cleaned_data["version"],
            status=status,
        )
    if not result.ok:
        messages.error(request, result.message)
    return redirect("partners:survey", survey.pk)


@role_required(*SURVEY_OWNERS)
@require_http_methods(["GET", "POST"])
def survey_codes(request, survey_id: int):
    """Hand out codes: each shown once, with its link and QR code, to print and cut."""
    survey = selectors.get_survey_for_user(request.user, survey_id, action="manage")
    form = CodesForm(request.POST or None)
    codes = []
    if request.method == "POST" and form.is_valid():
        with submitting(form) as result:
            plain = survey_services.issue_codes(
                actor=request.user, survey_id=survey.pk, count=form.cleaned_data["count"]
            )
        if result.ok:
            for code in plain:
                url = request.build_absolute_uri(reverse("survey:answer", args=[code]))
                qr = segno.make(url, error="m")
                codes.append(
                    {
                        "code": code,
                        "url": url,
                        "qr": qr.svg_inline(scale=3, title=str(_("QR code for the survey"))),
                    }
                )
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "partners/survey_codes.html",
        {"survey": survey, "form": form, "codes": codes, "start": reverse("survey:start")},
        status=status,
    )


@role_required(*SURVEY_OWNERS)
@require_http_methods(["GET", "POST"])
def survey_paper(request, survey_id: int):
    """Type in one paper questionnaire; the page comes back empty for the next."""
    survey = selectors.get_survey_for_user(request.user, survey_id, action="manage")
    form = AnswerForm(request.POST or None, survey=survey)
    if request.method == "POST":
        with submitting(form) as result:
            survey_services.enter_paper_answers(
                actor=request.user, survey_id=survey.pk, data=_answers(request)
            )
        if result.ok:
            messages.success(request, _("The paper answer was saved."))
            return redirect("partners:survey_paper", survey.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "partners/survey_answer.html",
        {"survey": survey, "form": form, "paper": True},
        status=status,
    )


@role_required(*SURVEYS)
@require_http_methods(["GET"])
def results(request, survey_id: int):
    survey = selectors.get_survey_for_user(request.user, survey_id)
    owner = selectors.may_own_survey(request.user, survey)
    return render(
        request,
        "partners/survey_results.html",
        {"results": survey_results(survey, free_text=owner), "owner": owner},
    )


def _bad_request(form) -> HttpResponse:
    problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
    return HttpResponse(problems, status=400, content_type="text/plain; charset=utf-8")


def _answers(request: HttpRequest) -> dict[str, list[str]]:
    return {name: request.POST.getlist(name) for name in request.POST if name.startswith("q")}


# --- the public answer page (no login) ---------------------------------------------
#
# Anyone with a code may answer, so the page is guarded by the code alone: each code
# answers once (survey_services.submit_with_code). Guessing codes is slowed by counting
# unknown or used codes per address (SURVEY_CODE_FAILURES_PER_ADDRESS in ten minutes,
# then 429). The count lives in Django's cache: per process with the default local-memory
# cache, shared when CACHES points at Redis.

WINDOW_SECONDS = 600


def _failures_key(request: HttpRequest) -> str:
    return f"survey-code-failures:{client_ip(request)}"


def _throttled(request: HttpRequest) -> bool:
    return int(cache.get(_failures_key(request), 0)) >= setting("SURVEY_CODE_FAILURES_PER_ADDRESS")


def _count_failure(request: HttpRequest) -> None:
    key = _failures_key(request)
    if cache.add(key, 1, WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.set(key, 1, WINDOW_SECONDS)


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "partners/survey_public_message.html", {"too_many": True}, status=429
    )
    response["Retry-After"] = str(WINDOW_SECONDS)
    return response


@require_http_methods(["GET"])
def public_start(request):
    """Where a code is typed in by hand (the printed slip gives this address)."""
    if _throttled(request):
        return _too_many(request)
    form = CodeForm(request.GET or None)
    if form.is_bound:
        code = survey_services.normalise_code(form.cleaned_data["code"]) if form.is_valid() else ""
        if form.is_valid() and len(code) == survey_services.CODE_LENGTH:
            return redirect("survey:answer", code)
        if form.is_valid():
            form.add_error(
                "code",
                _("A code has %(n)d letters and digits.") % {"n": survey_services.CODE_LENGTH},
            )
        return render(request, "partners/survey_start.html", {"form": form}, status=400)
    return render(request, "partners/survey_start.html", {"form": form})


@require_http_methods(["GET", "POST"])
def public_answer(request, code: str):
    if _throttled(request):
        return _too_many(request)
    survey = survey_services.survey_for_code(code)
    if survey is None:
        _count_failure(request)
        return render(request, "partners/survey_public_message.html", {"unknown": True}, status=404)
    form = AnswerForm(request.POST or None, survey=survey)
    if request.method == "POST":
        try:
            survey_services.submit_with_code(code=code, data=_answers(request))
        except CodeUsed:
            _count_failure(request)
            return render(
                request, "partners/survey_public_message.html", {"unknown": True}, status=404
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return render(
                request, "partners/survey_answer.html", {"survey": survey, "form": form}, status=400
            )
        return redirect("survey:thanks")
    return render(request, "partners/survey_answer.html", {"survey": survey, "form": form})


@require_http_methods(["GET"])
def public_thanks(request):
    return render(request, "partners/survey_public_message.html", {"thanks": True})
