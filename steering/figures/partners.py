"""Figures of the partners app (issue 20, point 8): referrals to partner organisations by
step and outcome, and the meeting places' visits and unique visitors.

Rows are organisations of the district (its partners, its meeting places), not units:
nothing here names or counts a person's record beyond a count. Visits and unique visitors
are not counted again here: they are the meeting places' annual figures
(`partners.reports.annual_report`, the one definition of "unique visitors": the sum of
"first visit this year" tallies), read month by month for the period.
"""

from __future__ import annotations

from django.db.models import Count, F, Q, Value
from django.utils.translation import gettext_lazy as _

from partners.models import MeetingPlace, Partner, Referral
from partners.reports import annual_report

from .base import Column, Figure, Scope, count_by_month

# --- Referrals --------------------------------------------------------------------------


def _partners(scope: Scope) -> list[tuple[object, str]]:
    """The district's partners that are active or were ever referred to."""
    rows = (
        Partner.objects.filter(district=scope.district)
        .filter(Q(is_active=True) | Q(referrals__isnull=False))
        .values_list("pk", "name")
        .distinct()
        .order_by("name", "pk")
    )
    return list(rows)


S = Referral.Status
# Column key -> (the step's date field, what else the referral must be).
REFERRAL_STEPS: dict[str, tuple[str, Q]] = {
    "sent": ("sent_on", Q()),
    "accepted": ("answered_on", ~Q(status=S.DECLINED)),
    "declined": ("answered_on", Q(status=S.DECLINED)),
    "attended": ("attended_on", Q()),
    **{f"ended_{value}": ("ended_on", Q(outcome=value)) for value in Referral.Outcome.values},
}


def referrals_by_partner(scope: Scope) -> dict:
    """Each referral counts in the period in which it took a step, under that step (a
    step's date never moves once taken, so a published month does not either)."""
    partners = Referral.objects.filter(partner__district=scope.district)
    out: dict = {}
    for key, (field, condition) in REFERRAL_STEPS.items():
        rows = (
            partners.filter(condition, **{f"{field}__range": scope.dates})
            .values("partner_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            out[(row["partner_id"], key)] = row["n"]
    return out


REFERRALS_BY_PARTNER = Figure(
    key="referrals_by_partner",
    title=_("Referrals to partners by step and outcome"),
    description=_(
        "Referrals from cases to the district's partner organisations: how many were sent, "
        "accepted, declined and first attended during the period, and how many ended, by "
        "outcome. Rows are partner organisations."
    ),
    columns=(
        Column("sent", _("Sent")),
        Column("accepted", _("Accepted")),
        Column("declined", _("Declined")),
        Column("attended", _("Attended")),
        # One column per Referral.Outcome, spelled out so that each label is translated.
        Column("ended_completed", _("Ended: completed as planned")),
        Column("ended_partly", _("Ended: partly completed")),
        Column("ended_interrupted", _("Ended: interrupted")),
        Column("ended_never_started", _("Ended: never started")),
    ),
    compute=referrals_by_partner,
    rows=_partners,
)


# --- Meeting places ---------------------------------------------------------------------


def _places(scope: Scope) -> list[MeetingPlace]:
    return list(
        MeetingPlace.objects.filter(partner__district=scope.district)
        .select_related("partner")
        .order_by("partner__name", "pk")
    )


def _place_rows(scope: Scope) -> list[tuple[object, str]]:
    return [(place.pk, place.partner.name) for place in _places(scope)]


def meeting_place_visits(scope: Scope) -> dict:
    """The months of the period from the places' annual report (a period never spans two
    calendar years)."""
    places = _places(scope)
    if not places:
        return {}
    return _visits(places, annual_report(places, scope.start.year), scope)


def _visits(places: list[MeetingPlace], report, scope: Scope) -> dict:
    months = range(scope.start.month - 1, scope.end.month)
    out: dict = {}
    for place in places:
        figures = report.by_place[place.pk][0]
        out[(place.pk, "visits")] = sum(figures.visits_by_month[m] for m in months)
        out[(place.pk, "unique_visitors")] = sum(figures.new_visitors_by_month[m] for m in months)
    return out


def count_periods(scopes: list[Scope]) -> dict:
    """The rows of the partners' and meeting places' tables (the district's organisations,
    the same for every period), for all the periods, in one query: the two lists of
    `_partners` and `_place_rows` as one UNION ordered like each of them. Their counts
    are sums of months, taken from the published months."""
    if not scopes:
        return {}
    district = scopes[0].district
    partners = (
        Partner.objects.filter(district=district)
        .filter(Q(is_active=True) | Q(referrals__isnull=False))
        .annotate(table=Value(0), label=F("name"))
        .values_list("pk", "table", "label")
    )
    places = (
        MeetingPlace.objects.filter(partner__district=district)
        .annotate(table=Value(1), label=F("partner__name"))
        .values_list("pk", "table", "label")
    )
    # UNION (not ALL) drops the partners repeated by the join to their referrals, as
    # `_partners`' DISTINCT does.
    # No ORDER BY in the parts (the models' default ordering): SQLite refuses one there.
    rows = list(partners.order_by().union(places.order_by()).order_by("table", "label", "pk"))
    found = {
        "referrals_by_partner": [(pk, label) for pk, table, label in rows if table == 0],
        "meeting_place_visits": [(pk, label) for pk, table, label in rows if table == 1],
    }
    return {
        (key, "rows", scope.period.key): labels for scope in scopes for key, labels in found.items()
    }


def count_months(scopes: list[Scope]) -> dict:
    """Referrals by step (eight queries per period before) and the meeting places' visits
    (one annual report per year, not per period) for every scope's period: sums of months,
    so a longer period takes them from its months."""
    if not scopes:
        return {}
    referrals = Referral.objects.filter(partner__district=scopes[0].district)
    out: dict = {}
    steps: list[tuple[str, list[dict]]] = [
        (
            key,
            count_by_month(referrals.filter(condition), ("partner_id",), field, scopes),
        )
        for key, (field, condition) in REFERRAL_STEPS.items()
    ]
    for i, scope in enumerate(scopes):
        out[("referrals_by_partner", "compute", scope.period.key)] = {
            (partner, key): found[i][(partner,)] for key, found in steps for (partner,) in found[i]
        }
    places = _places(scopes[0])
    reports = {}
    for scope in scopes:
        visits: dict = {}
        if places:
            year = scope.start.year
            if year not in reports:
                reports[year] = annual_report(places, year)
            visits = _visits(places, reports[year], scope)
        out[("meeting_place_visits", "compute", scope.period.key)] = visits
    return out


MEETING_PLACE_VISITS = Figure(
    key="meeting_place_visits",
    title=_("Meeting-place visits and unique visitors"),
    description=_(
        "Visits to the district's meeting places during the period, and unique visitors: "
        "visitors who came for the first time this calendar year (counted without identity; "
        "someone who visits two places counts at each)."
    ),
    columns=(
        Column("visits", _("Visits")),
        Column("unique_visitors", _("Unique visitors")),
    ),
    compute=meeting_place_visits,
    rows=_place_rows,
)
