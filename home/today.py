"""What needs the user today: the panels of the start page (issue 19, point 2).

Each panel belongs to the roles that handle it and reads through the same selectors as
the page where its items are handled (`visible_cases`, the handover inbox, the triage
queue, the user's meeting places), so the start page never shows what that page would
not. Every panel costs a fixed number of queries, whatever the amount of data: a count
and the first `LIMIT` rows. Names of people follow the placeholder rule of the case list
(`cases.core.selectors.cases.head_name`); handovers and signals show no name at all
(the receiving unit may not see the case yet; a signal's tenant is not yet a client)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from audit.models import AccessLogEntry
from audit.review import busy_in_period
from bokvar import roles
from bokvar.conf import setting
from bokvar.legal_calendar import working_days_between
from bokvar.models import Role, User
from bokvar.selectors import roles_of
from cases.core.selectors.cases import head_name, visible_cases
from cases.core.selectors.people import object_perm
from cases.evictions import selectors as eviction_selectors
from cases.evictions.services.deadlines import status_text
from cases.handovers import selectors as handover_selectors
from cases.models import Case, Deadline, HouseholdChild, PersonUserObjectPermission
from housing.models import Placement
from partners import selectors as partner_selectors
from partners.models import DailyTally
from steering import presenters, snapshots
from steering import selectors as steering_selectors
from steering.periods import last_full_month

# Rows shown per panel; the rest are a link away ("all N").
LIMIT = 8
# The auditor's panel looks back this many days.
AUDIT_DAYS = 7


@dataclass
class Panel:
    key: str
    rows: list[Any]
    total: int
    # The page where the whole list is handled; "" when the rows are all there is.
    more_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _head_granted(user: User, head_path: str) -> Exists:
    """Whether `user` was granted the household head at `head_path` (a protected head
    is shown by name only then)."""
    return Exists(
        PersonUserObjectPermission.objects.filter(
            user=user, content_object_id=OuterRef(head_path), **object_perm("view_protected_person")
        )
    )


def _visible_case_ids(user: User) -> QuerySet[Any, Any]:
    return visible_cases(user).values("pk")


@dataclass(frozen=True)
class DeadlineRow:
    deadline: Deadline
    household: str
    working_days: int
    status: str
    url: str


def _deadline_rows(deadlines: Sequence[Deadline], today: date) -> list[DeadlineRow]:
    rows = []
    for d in deadlines:
        d.case.head_granted = d.head_granted  # type: ignore[attr-defined]  # for head_name
        rows.append(
            DeadlineRow(
                deadline=d,
                household=head_name(d.case),
                working_days=working_days_between(today, d.due_on),
                status=status_text(d.due_on, today=today),
                url=reverse("cases:detail", kwargs={"case_id": d.case_id}),
            )
        )
    return rows


def deadlines_panel(user: User, today: date) -> Panel:
    """Overdue deadlines and those within the longest reminder lead time, of the cases
    the user answers for (the "my deadlines" list), earliest first."""
    horizon = today + timedelta(days=max(setting("REMINDER_LEAD_DAYS")))
    qs = eviction_selectors.my_deadlines(user).filter(
        due_on__lte=horizon, case_id__in=_visible_case_ids(user)
    )
    rows = list(
        qs.select_related("case__household__head").annotate(
            head_granted=_head_granted(user, "case__household__head_id")
        )[:LIMIT]
    )
    return Panel(
        key="deadlines",
        rows=_deadline_rows(rows, today),
        total=qs.count(),
        more_url=reverse("cases:deadlines"),
    )


def children_panel(user: User, today: date) -> Panel:
    """Households with children and an eviction date not yet passed or done, of the cases
    the user may see, soonest first."""
    children = (
        HouseholdChild.objects.filter(household_id=OuterRef("case__household_id"))
        .order_by()
        .values("household_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = Deadline.objects.filter(
        kind=Deadline.Kind.EVICTION,
        done_at__isnull=True,
        due_on__gte=today,
        case__status=Case.Status.OPEN,
        case_id__in=_visible_case_ids(user),
    ).filter(Exists(HouseholdChild.objects.filter(household_id=OuterRef("case__household_id"))))
    rows = list(
        qs.select_related("case__household__head")
        .annotate(
            child_count=Coalesce(Subquery(children), 0),
            head_granted=_head_granted(user, "case__household__head_id"),
        )
        .order_by("due_on", "id")[:LIMIT]
    )
    return Panel(
        key="children",
        rows=_deadline_rows(rows, today),
        total=qs.count(),
        extra={"alert_days": setting("CHILD_EVICTION_ALERT_DAYS")},
    )


def handovers_panel(user: User, today: date) -> Panel:
    """The inbox's pending handovers, most urgent first (the inbox's own order)."""
    rows = handover_selectors.inbox_rows(user, today=today)
    return Panel(
        key="handovers", rows=rows[:LIMIT], total=len(rows), more_url=reverse("cases:handovers")
    )


@dataclass(frozen=True)
class SignalRow:
    kind: str
    received_on: date
    age_days: int
    repeats: int
    url: str


def signals_panel(user: User, today: date) -> Panel:
    """The user's triage queue, oldest first."""
    queue = eviction_selectors.triage_queue(user)
    signals = list(queue[:LIMIT])
    rows = [
        SignalRow(
            kind=s.get_kind_display(),
            received_on=s.received_on,
            age_days=(today - s.received_on).days,
            repeats=getattr(s, "repeat_count", 0),
            url=reverse("cases:signal", kwargs={"signal_id": s.pk}),
        )
        for s in signals
    ]
    total = queue.count()
    return Panel(key="signals", rows=rows, total=total, more_url=reverse("cases:signals"))


@dataclass(frozen=True)
class PlacementRow:
    placement: Placement
    household: str
    last_follow_up: date | None
    days_since: int
    follow_up_due: bool
    # The agreed end when it is within PLACEMENT_ENDING_DAYS (or has passed).
    ending_on: date | None
    url: str


def placements_panel(user: User, today: date) -> Panel:
    """Current placements the user follows (as the guide, or as the district's
    coordinator) that are ending (the agreed period ends within PLACEMENT_ENDING_DAYS)
    or whose training follow-up is due (no progress note for PLACEMENT_FOLLOW_UP_DAYS
    days, or none since moving in that long ago)."""
    due_before = today - timedelta(days=setting("PLACEMENT_FOLLOW_UP_DAYS"))
    ending_by = today + timedelta(days=setting("PLACEMENT_ENDING_DAYS"))
    mine = Q(guide=user)
    coordinated = roles_of(user).coordinator_district_ids
    if coordinated:
        mine |= Q(case__responsible_unit__district_id__in=coordinated)
    qs = (
        Placement.objects.filter(mine, end_on__isnull=True, case_id__in=_visible_case_ids(user))
        .annotate(last_note=Max("notes__on"))
        .annotate(followed=Coalesce("last_note", "start_on"))
        .filter(Q(followed__lte=due_before) | Q(agreed_end_on__lte=ending_by))
    )
    placements = list(
        qs.select_related("case__household__head", "apartment")
        .annotate(head_granted=_head_granted(user, "case__household__head_id"))
        .order_by("followed", "id")[:LIMIT]
    )
    rows = []
    for p in placements:
        p.case.head_granted = p.head_granted  # type: ignore[attr-defined]  # for head_name
        followed: date = p.followed  # type: ignore[attr-defined]  # the annotation
        ending = p.agreed_end_on
        rows.append(
            PlacementRow(
                placement=p,
                household=head_name(p.case),
                last_follow_up=p.last_note,  # type: ignore[attr-defined]  # the annotation
                days_since=(today - followed).days,
                follow_up_due=followed <= due_before,
                ending_on=ending if ending is not None and ending <= ending_by else None,
                url=reverse("housing:placement", kwargs={"placement_id": p.pk}),
            )
        )
    total = qs.count()
    return Panel(
        key="placements",
        rows=rows,
        total=total,
        extra={"every_days": setting("PLACEMENT_FOLLOW_UP_DAYS")},
    )


def steering_panel(user: User, today: date) -> Panel | None:
    """The steering group's key figures of the last full month: the dashboard's own
    suppressed figures (never a person), read from the published tables."""
    try:
        district = steering_selectors.district_for_user(user)
    except Http404:
        return None
    period = last_full_month(today)
    report = snapshots.report_for(district=district, period=period)
    figures = presenters.key_figures(report)
    url = reverse("steering:dashboard") + "?" + urlencode({"period": period.key})
    return Panel(
        key="steering",
        rows=figures,
        total=len(figures),
        more_url=url,
        extra={"district": district.name, "period": period},
    )


@dataclass(frozen=True)
class FlagCounts:
    denied: int
    protected: int
    outside_unit: int
    busy_user_days: int

    @property
    def any(self) -> bool:
        return bool(self.denied or self.protected or self.outside_unit or self.busy_user_days)


def audit_panel(user: User, today: date) -> Panel:
    """Flagged reads of the last AUDIT_DAYS days, by flag, linked to the filtered log
    (the flags of `audit.review`). Two queries."""
    start = today - timedelta(days=AUDIT_DAYS - 1)
    since = timezone.make_aware(datetime.combine(start, time.min))
    recent = AccessLogEntry.objects.filter(at__gte=since)
    counts = recent.aggregate(
        denied=Count("pk", filter=Q(denied=True)),
        protected=Count("pk", filter=Q(protected=True)),
        outside_unit=Count("pk", filter=Q(outside_unit=True, via_handover=False)),
    )
    flags = FlagCounts(busy_user_days=len(busy_in_period(start, today)), **counts)
    query = urlencode({"flagged": "on", "start": start.isoformat(), "end": today.isoformat()})
    return Panel(
        key="audit",
        rows=[flags] if flags.any else [],
        total=1 if flags.any else 0,
        more_url=reverse("audit:log") + "?" + query,
        extra={"days": AUDIT_DAYS, "flags": flags},
    )


@dataclass(frozen=True)
class PlaceRow:
    name: str
    recorded_today: bool
    last_day: date | None
    url: str


def places_panel(user: User, today: date) -> Panel:
    """The skötare's own meeting places: is today's tally in, and the last day entered."""
    places = list(
        partner_selectors.places_for(user)
        .filter(staff__user=user)
        .annotate(
            last_day=Max("tallies__day"),
            recorded_today=Exists(DailyTally.objects.filter(place=OuterRef("pk"), day=today)),
        )
        .order_by("partner__name")
    )
    tally_query = "?" + urlencode({"day": today.isoformat()})
    rows = [
        PlaceRow(
            name=p.partner.name,
            recorded_today=p.recorded_today,  # type: ignore[attr-defined]  # the annotation
            last_day=p.last_day,  # type: ignore[attr-defined]
            url=reverse("partners:tally", kwargs={"place_id": p.pk}) + tally_query,
        )
        for p in places
    ]
    return Panel(key="places", rows=rows, total=len(rows))


def panels_for(user: User, *, today: date | None = None) -> list[Panel]:
    """The panels of the user's roles, in the order of the working day: what is late or
    due first, then what waits for a decision, then follow-ups and figures."""
    today = today or timezone.localdate()
    user_roles = roles_of(user)
    panels: list[Panel | None] = []
    if user_roles.has(*roles.CASE_STAFF):
        panels += [
            deadlines_panel(user, today),
            children_panel(user, today),
            handovers_panel(user, today),
        ]
    if user_roles.has(*roles.TRIAGE):
        panels.append(signals_panel(user, today))
    if user_roles.has(*roles.HOUSING):
        panels.append(placements_panel(user, today))
    if user_roles.has(Role.STEERING):
        panels.append(steering_panel(user, today))
    if user_roles.has(*roles.AUDITORS):
        panels.append(audit_panel(user, today))
    if user_roles.has(*roles.MEETING_PLACE_STAFF):
        panels.append(places_panel(user, today))
    return [p for p in panels if p is not None]


def cases_shown(panels: list[Panel]) -> list[Case]:
    """The cases whose data (deadlines, placements, names) the panels show: each is one
    read in the access log, as on the lists they come from. Handovers show only a case
    number, as the inbox does, and are logged with it."""
    shown: dict[int, Case] = {}
    for panel in panels:
        for row in panel.rows:
            if isinstance(row, DeadlineRow):
                shown[row.deadline.case_id] = row.deadline.case
            elif isinstance(row, PlacementRow):
                shown[row.placement.case_id] = row.placement.case
            elif isinstance(row, handover_selectors.InboxRow):
                shown[row.handover.case_id] = row.handover.case
    return list(shown.values())
