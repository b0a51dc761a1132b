"""Writes: publishing a month's figures as a stored report, and new versions of it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from bokvar.bulk import insert
from bokvar.models import District, User

from . import selectors, stats
from .models import MonthlyReport
from .periods import MONTH, Period

SCHEDULED = "scheduled"
ON_REQUEST = "regenerated on request"


def _store(*, district: District, period: Period, actor: User, reason: str) -> MonthlyReport:
    # Lock the district row so two regenerations cannot draw the same version number.
    District.objects.select_for_update().get(pk=district.pk)
    latest = (
        MonthlyReport.objects.filter(district=district, period=period.key)
        .order_by("-version")
        .first()
    )
    previous = latest.data if latest is not None else None
    distributions: dict = {}
    data = stats.month_tables(
        district=district, month=period, previous=previous, distributions=distributions
    )
    report = _next_version(
        district=district,
        period=period,
        actor=actor,
        reason=reason,
        latest=latest,
        data=data,
        distributions=distributions,
    )
    _save_many([report], actor=actor, reason=reason)
    return report


def _next_version(
    *,
    district: District,
    period: Period,
    actor: User,
    reason: str,
    latest: MonthlyReport | None,
    data: dict,
    distributions: dict,
) -> MonthlyReport:
    """The unsaved next version of a month: `data` made against `latest`."""
    version = (latest.version if latest else 0) + 1
    previous = latest.data if latest is not None else None
    # The stored JSON names its own version, so an exported copy says which one it is.
    data["version"] = version
    if previous is not None:
        data["changes"] = changes(previous, data)
    return MonthlyReport(
        district=district,
        period=period.key,
        version=version,
        generated_at=timezone.now(),
        generated_by=actor,
        reason=reason,
        data=data,
        distributions=distributions,
    )


# The model's constraints `_validate_many` checks for many reports at once; a model with
# any other constraint is validated report by report (`full_clean`), as before.
_CHECKED_TOGETHER = frozenset({"report_version_unique", "report_version_positive"})


def _validate_many(reports: list[MonthlyReport]) -> None:
    """What `full_clean` checks on each report (`ValidationError` as it raises it), with
    the database asked once, not four times a report: the fields of each (lengths,
    ranges, JSON); the district and the author, the same for all, looked up once; the
    versions unique in one query and positive in Python (their check constraint)."""
    constraints = {c.name: c for c in MonthlyReport._meta.constraints}
    shared = {(r.district_id, r.generated_by_id) for r in reports}
    if set(constraints) != _CHECKED_TOGETHER or len(shared) != 1:
        for report in reports:
            report.full_clean()
        return
    first, *others = reports
    first.clean_fields()  # the foreign keys looked up here, once
    for report in others:
        report.clean_fields(exclude=["district", "generated_by"])
    positive = constraints["report_version_positive"]
    for report in reports:
        if report.version < 1:
            positive.validate(MonthlyReport, report)  # raises as full_clean does
    # Two of `reports` with the same month and version fail on the database's unique
    # constraint, as the second of two saves did.
    keys = {(r.period, r.version): r for r in reports}
    wanted = Q()
    for period, version in keys:
        wanted |= Q(period=period, version=version)
    taken = MonthlyReport.objects.filter(wanted, district_id=first.district_id)
    for period, version in taken.values_list("period", "version").order_by():
        constraints["report_version_unique"].validate(MonthlyReport, keys[(period, version)])


def _save_many(reports: list[MonthlyReport], *, actor: User, reason: str) -> None:
    """Validate and insert `reports` (new versions of the district's months, the
    district row locked) with their history rows, in three statements however many
    (`bokvar.bulk.insert`: the ids, the reports, their history), not two each."""
    _validate_many(reports)
    insert(MonthlyReport, reports, user_id=actor.pk, reason=reason)


def changes(old: dict, new: dict) -> dict:
    """What a new version changed, for the versions list: per figure the published
    numbers that differ and the cells hidden now but shown before (a change smaller than
    the threshold, or a partner of one)."""
    before = {f["key"]: f for f in old.get("figures", [])}
    out = []
    for figure in new["figures"]:
        earlier = before.get(figure["key"])
        if earlier is None:
            continue
        lines_new = [r["cells"] for r in figure["rows"]] + [figure["total"]["cells"]]
        lines_old = [r["cells"] for r in earlier["rows"]] + [earlier["total"]["cells"]]
        changed = hidden = 0
        if len(lines_new) == len(lines_old):
            for a_line, b_line in zip(lines_old, lines_new, strict=True):
                for a, b in zip(a_line, b_line, strict=False):
                    if a["value"] is not None and b["value"] is None:
                        hidden += 1
                    elif a["value"] is not None and a["value"] != b["value"]:
                        changed += 1
        if changed or hidden:
            out.append({"title": figure["title"], "changed": changed, "hidden": hidden})
    return {"figures": out}


def _check_month(period: Period) -> None:
    if period.kind != MONTH:
        raise ValueError("Only a month is frozen as a monthly report.")


@transaction.atomic
def freeze_month(*, district: District, period: Period, actor: User) -> MonthlyReport | None:
    """The scheduled freeze: once per district and month; later runs change nothing."""
    _check_month(period)
    if MonthlyReport.objects.filter(district=district, period=period.key).exists():
        return None
    return _store(district=district, period=period, actor=actor, reason=SCHEDULED)


@transaction.atomic
def publish_month(*, district: District, period: Period, actor: User, reason: str) -> MonthlyReport:
    """A month needed before the scheduled freeze made it (or stored under the earlier
    method): published now as its next version."""
    _check_month(period)
    District.objects.select_for_update().get(pk=district.pk)
    latest = (
        MonthlyReport.objects.filter(district=district, period=period.key)
        .order_by("-version")
        .first()
    )
    if latest is not None and latest.data.get("schema") == stats.SCHEMA_VERSION:
        return latest  # another reader published it first
    return _store(district=district, period=period, actor=actor, reason=reason)


@transaction.atomic
def publish_months(
    *, district: District, periods: list[Period], actor: User, reason: str
) -> dict[str, MonthlyReport]:
    """Several months needed at once (a report's trend, a refresh), each as `publish_month`
    publishes it ({month key: its latest version}), those to publish counted together
    (`stats.months_tables`): a fixed number of queries for the counting, however many
    months."""
    for period in periods:
        _check_month(period)
    District.objects.select_for_update().get(pk=district.pk)
    keys = list(dict.fromkeys(period.key for period in periods))
    later = MonthlyReport.objects.filter(
        district=district, period=OuterRef("period"), version__gt=OuterRef("version")
    )
    latest = {
        report.period: report
        for report in MonthlyReport.objects.filter(district=district, period__in=keys).exclude(
            Exists(later)
        )
    }
    out = {}
    missing: dict[str, Period] = {}
    for period in periods:
        found = latest.get(period.key)
        if found is not None and found.data.get("schema") == stats.SCHEMA_VERSION:
            out[period.key] = found  # another reader published it first
        else:
            missing[period.key] = period
    if not missing:
        return out
    distributions: dict[str, dict] = {}
    made = stats.months_tables(
        district=district,
        months=list(missing.values()),
        previous={key: latest[key].data for key in missing if key in latest},
        distributions=distributions,
    )
    new = {
        key: _next_version(
            district=district,
            period=period,
            actor=actor,
            reason=reason,
            latest=latest.get(key),
            data=made[key],
            distributions=distributions[key],
        )
        for key, period in missing.items()
    }
    _save_many(list(new.values()), actor=actor, reason=reason)
    return out | new


@transaction.atomic
def regenerate_report(*, actor: User, report_id: int) -> MonthlyReport:
    """A coordinator's new version of a stored month; the earlier versions stay, and the
    quarter, year and years to date made of the month are remade with it."""
    from .snapshots import republish_containing

    report = selectors.get_report_for_user(actor, report_id)
    if not selectors.may_regenerate(actor, report.district):
        raise PermissionDenied
    year, month_ = (int(x) for x in report.period.split("-"))
    period = Period(MONTH, year, month_, 1)
    made = _store(district=report.district, period=period, actor=actor, reason=ON_REQUEST)
    republish_containing(report.district, period)
    return made
