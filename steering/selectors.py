"""Reads for the steering pages: whose district, which reports."""

from __future__ import annotations

from django.http import Http404

from bokvar import roles as role_groups
from bokvar.models import District, Role
from bokvar.selectors import roles_of

from .models import MonthlyReport

# Who reads the statistics: the steering group, and coordinators, who run the
# work the figures describe and regenerate the monthly reports. The figures are
# anonymised, so reading them gives a coordinator nothing their cases do not.
READ_ROLES = role_groups.STATISTICS
REGENERATE_ROLES = role_groups.STATISTICS_REGENERATE


def stats_district_ids(user) -> frozenset[int]:
    roles = roles_of(user)
    ids = set(roles.coordinator_district_ids)
    if roles.has(Role.STEERING):
        # A steering member follows the districts of the units they sit in.
        ids |= set(roles.district_ids)
    return frozenset(ids)


def district_for_user(user, district_id: int | None = None) -> District:
    """The district whose statistics `user` asked for (their first one by default)."""
    ids = stats_district_ids(user)
    if district_id is not None and district_id not in ids:
        raise Http404
    qs = District.objects.filter(pk__in=ids).order_by("name")
    district = qs.filter(pk=district_id).first() if district_id is not None else qs.first()
    if district is None:
        raise Http404
    return district


def reports_for_user(user):
    return MonthlyReport.objects.filter(district_id__in=stats_district_ids(user)).select_related(
        "district"
    )


def get_report_for_user(user, report_id: int) -> MonthlyReport:
    """404 for a report of a district the user does not follow."""
    report = reports_for_user(user).filter(pk=report_id).first()
    if report is None:
        raise Http404
    return report


def may_regenerate(user, district: District) -> bool:
    return district.pk in roles_of(user).coordinator_district_ids
