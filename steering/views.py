"""Steering pages: the dashboard, exports and the frozen monthly reports. Thin:
parse the period, ask `steering.stats` or a stored report, render."""

from __future__ import annotations

from datetime import date, datetime

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from bokvar.db_router import replica_reads
from bokvar.permissions import role_required

from . import exports, periods, selectors, services, snapshots, stats
from .presenters import describe_changes, parts
from .selectors import READ_ROLES, REGENERATE_ROLES

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _quick_periods(today) -> list[dict]:
    labels = [_("Last month"), _("Last quarter"), _("This year"), _("Last year")]
    return [
        {"label": label, "value": period.key}
        for label, period in zip(labels, snapshots.quick_periods(today), strict=True)
    ]


def _picker_choices(today) -> dict:
    months = [(f"{m:02d}", date_format(date(2000, m, 1), "F")) for m in range(1, 13)]
    quarters = [(f"Q{q}", _("Quarter %(number)s") % {"number": q}) for q in range(1, 5)]
    to_date = [
        (f"YTD{m:02d}", _("January to %(month)s") % {"month": date_format(date(2000, m, 1), "F")})
        for m in range(2, 12)
        if m != 3
    ]
    return {
        "years": [str(y) for y in range(today.year, today.year - 6, -1)],
        "parts": [("", _("The whole year")), *quarters, *months, *to_date],
    }


def _query(request):
    """The picker's year and part (month or quarter) become ?period=…; links use ?period."""
    params = request.GET.copy()
    year = params.pop("year", [""])[0]
    part = params.pop("part", [""])[0]
    if year and not params.get("period"):
        params["period"] = f"{year}-{part}" if part else year
    return params


def _period_or_error(request):
    today = timezone.localdate()
    default = periods.last_full_month(today)
    try:
        return periods.from_query(_query(request), default=default, today=today), None
    except periods.PeriodError as exc:
        return default, exc


@role_required(*READ_ROLES)
@require_http_methods(["GET"])
@replica_reads
def dashboard(request):
    district = selectors.district_for_user(request.user)
    period, error = _period_or_error(request)
    report = snapshots.report_for(district=district, period=period)
    context = {
        "report": report,
        "presented": parts(report),
        "error": error,
        "quick": _quick_periods(timezone.localdate()),
        "query": _query(request).urlencode() if error is None else "",
        "picked": _picked(period),
        "computed_at": datetime.fromisoformat(report["generated_at"]),
        **_picker_choices(timezone.localdate()),
    }
    return render(request, "steering/dashboard.html", context, status=400 if error else 200)


def _picked(period: periods.Period) -> dict:
    if period.kind == periods.QUARTER:
        return {"year": str(period.start_year), "part": period.key[-2:]}
    if period.kind == periods.MONTH:
        return {"year": str(period.start_year), "part": f"{period.start_month:02d}"}
    if period.kind == periods.YTD:
        return {"year": str(period.start_year), "part": f"YTD{period.months:02d}"}
    return {"year": str(period.start_year), "part": ""}


def _export(report: dict, fmt: str, stem: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(exports.to_csv(report), content_type="text/csv; charset=utf-8")
        ext = "csv"
    else:
        response = HttpResponse(exports.to_xlsx(report), content_type=XLSX)
        ext = "xlsx"
    response["Content-Disposition"] = f'attachment; filename="{stem}.{ext}"'
    return response


@role_required(*READ_ROLES)
@require_http_methods(["GET"])
@replica_reads
def export(request, fmt: str):
    district = selectors.district_for_user(request.user)
    period, error = _period_or_error(request)
    if error is not None:
        return HttpResponse(error.message, status=400, content_type="text/plain; charset=utf-8")
    report = snapshots.report_for(district=district, period=period)
    return _export(report, fmt, f"bokvar-statistik-{period.key}")


@role_required(*READ_ROLES)
@require_http_methods(["GET"])
def report_list(request):
    reports = selectors.reports_for_user(request.user).only(
        "pk", "period", "version", "generated_at", "reason", "district__name"
    )
    return render(request, "steering/report_list.html", {"reports": reports})


@role_required(*READ_ROLES)
@require_http_methods(["GET"])
def report_detail(request, report_id: int):
    report = selectors.get_report_for_user(request.user, report_id)
    versions = selectors.reports_for_user(request.user).filter(
        district=report.district, period=report.period
    )
    data = _stored_report(report)
    context = {
        "report": data,
        "presented": parts(data),
        "stored": report,
        "versions": [{"report": v, "changes": describe_changes(v.data)} for v in versions],
        "may_regenerate": selectors.may_regenerate(request.user, report.district),
    }
    return render(request, "steering/report_detail.html", context)


@role_required(*READ_ROLES)
@require_http_methods(["GET"])
def report_export(request, report_id: int, fmt: str):
    report = selectors.get_report_for_user(request.user, report_id)
    return _export(_stored_report(report), fmt, f"bokvar-rapport-{report.period}-v{report.version}")


def _stored_report(stored) -> dict:
    """A stored version exactly as stored, with the comparisons from the published months
    (a report stored under the earlier method is shown as it was stored)."""
    if stored.data.get("schema") != stats.SCHEMA_VERSION:
        return stored.data
    year, month = (int(x) for x in stored.period.split("-"))
    return stats.build_report(
        district=stored.district,
        period=periods.month(year, month),
        tables=snapshots.published_tables(stored.district),
        current=stored.data,
    )


@role_required(*REGENERATE_ROLES)
@require_http_methods(["POST"])
def report_regenerate(request, report_id: int):
    report = services.regenerate_report(actor=request.user, report_id=report_id)
    messages.success(
        request,
        _("Version %(version)s of the report for %(period)s was made; earlier versions are kept.")
        % {"version": report.version, "period": report.period},
    )
    return redirect("steering:report", report_id=report.pk)
