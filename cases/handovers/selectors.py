"""Reads of handovers. One way in: a handover through `get_handover_for_user`; a
pending handover shows its receiving unit a decision summary, never the record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.compiled import reader_key
from bokvar.conf import setting
from bokvar.legal_calendar import add_working_days, working_days_between
from bokvar.models import Membership, Role, Unit, User
from bokvar.permissions import AuthenticatedRequest
from bokvar.roles import CASE_STAFF, UNIT_CASE_ROLES
from bokvar.selectors import roles_of
from cases.core.selectors.cases import facts_to_its_case, facts_with_its_case, visible_case
from cases.core.selectors.kept import KeptAll, KeptFirst, read_together
from cases.core.selectors.people import hidden_people
from cases.models import Case, CaseAssignment, Deadline, Handover, HouseholdChild, Person

# The most escalation steps a handover goes through (services.escalation sends them).
ESCALATION_STEPS = 3


def deciding_unit_ids(user: User) -> frozenset[int]:
    """Units whose handovers the user works on: those where they are a caseworker or
    coordinator, or the lead. A guide's membership alone is not enough: she sees only the
    handovers of cases assigned to her (issue 21, point 4)."""
    roles = roles_of(user)
    return roles.unit_ids_with(*UNIT_CASE_ROLES) | roles.lead_unit_ids


def acknowledging_unit_ids(user: User) -> frozenset[int]:
    """Units whose consultations the user closes and whose returned handovers they mark
    read: where they are the coordinator or the lead (issue 21, point 4)."""
    roles = roles_of(user)
    return roles.unit_ids_with(Role.COORDINATOR) | roles.lead_unit_ids


def visible_handovers(user: User) -> QuerySet[Handover]:
    """Handovers of the units the user works for (not a guide's membership alone), of the
    cases assigned to them, and every handover in a coordinator's district."""
    if not user.is_authenticated or not user.is_active:
        return Handover.objects.none()
    roles = roles_of(user)
    unit_ids = deciding_unit_ids(user)
    condition = Q(from_unit_id__in=unit_ids) | Q(to_unit_id__in=unit_ids)
    if roles.coordinator_district_ids:
        condition |= Q(case__responsible_unit__district_id__in=roles.coordinator_district_ids)
    condition |= Q(sent_by=user)
    condition |= Q(case_id__in=CaseAssignment.objects.filter(user=user).values("case_id"))
    return Handover.objects.filter(condition)


def may_decide(user: User, handover: Handover) -> bool:
    """The receiving unit's caseworkers/coordinators or its lead; never the sender."""
    if handover.sent_by_id == user.pk:
        return False
    return handover.to_unit_id in deciding_unit_ids(user)


def _sending_unit_oversees(user: User, handover: Handover) -> bool:
    """The sending unit's coordinator or lead, or a coordinator of the case's district:
    not the sending unit's other staff, not the receiving unit, not a guide."""
    if handover.from_unit_id in acknowledging_unit_ids(user):
        return True
    return handover.case.responsible_unit.district_id in roles_of(user).coordinator_district_ids


def may_close(user: User, handover: Handover) -> bool:
    """A consultation is closed by the unit that asked for it (its coordinator or lead)."""
    return _sending_unit_oversees(user, handover)


def may_acknowledge(user: User, handover: Handover) -> bool:
    """A returned handover is marked read by the sending unit's coordinator or lead:
    marking it read takes it out of their inbox, so no one else may."""
    return _sending_unit_oversees(user, handover)


def get_handover_for_user(
    user: User, handover_id: int, *, action: str = "", with_case_sight: bool = False
) -> Handover:
    """404 where the user may not know the handover; 403 where they may read it but not
    take `action` ("decide", "close", "acknowledge"). `with_case_sight`: also whether
    the user may open the handover's case (`case_visible`) and whether its household
    has someone hidden from them (`case_hidden`), and how many adults the household has
    (`case_adults`, for the decision summary), in the same query."""

    def build(pk: int) -> QuerySet[Handover]:
        found = visible_handovers(user).select_related(
            "case__responsible_unit", "case__household", "from_unit", "to_unit", "sent_by"
        )
        if with_case_sight:
            found = _with_case_sight(user, found)
        return found.filter(pk=pk)

    # Compiled once per reader (kept.KeptFirst) and run with each page's id: building
    # and compiling it was a fifth of the handover page's CPU (issue 22).
    key = reader_key(user, Handover.objects.all().db)
    handover: Handover | None = _ONE.first(
        None if key is None else (key, with_case_sight), build, handover_id
    )
    if handover is None:
        raise Http404
    if with_case_sight:
        facts_to_its_case(handover, "case")  # the access log's, read with it
    if action == "decide" and not may_decide(user, handover):
        raise PermissionDenied
    if action == "close" and not may_close(user, handover):
        raise PermissionDenied
    if action == "acknowledge" and not may_acknowledge(user, handover):
        raise PermissionDenied
    return handover


# On its generic plan: PostgreSQL planned it afresh on every handover page (1.27 ms of
# planning beside 0.22 ms of execution for the bench's caseworker at national scale);
# generic, the statement read 43 buffers instead of 118 (issue 22, the twentieth round).
_ONE = KeptFirst(generic=True)


def _with_case_sight(user: User, found: QuerySet[Handover]) -> QuerySet[Handover]:
    if connections[found.db].vendor == "postgresql":
        # The decision summary's children, read here rather than alone (issue 22: with
        # the statement on its generic plan, the handover page of another unit's case
        # would make 21 queries). Elsewhere (SQLite) `decision_summary` reads them.
        found = found.annotate(
            case_child_years=ArraySubquery(
                HouseholdChild.objects.filter(household_id=OuterRef("case__household_id"))
                .order_by()
                .values("birth_year")
            )
        )
    return found.annotate(
        # What the access log says of the case (the page records reading it), read here
        # rather than alone; as a constant for the generic plan (`_ONE`).
        **facts_with_its_case("case", constant=True),
        case_visible=Exists(visible_case(user).filter(pk=OuterRef("case_id"))),
        # A member of the case's household hidden from the user (the rule of
        # `people.Sight`, for this one household).
        case_hidden=Exists(hidden_people(user).filter(household_id=OuterRef("case__household_id"))),
        # The decision summary's count, read here rather than alone (issue 22: the
        # handover page of another unit's case was over 20 queries).
        case_adults=Coalesce(
            Subquery(
                Person.objects.filter(household_id=OuterRef("case__household_id"))
                .order_by()
                .values("household_id")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        ),
    )


def may_hand_over(user: User, case: Case) -> bool:
    """Staff of the responsible unit, or a coordinator of its district."""
    roles = roles_of(user)
    if case.status != Case.Status.OPEN:
        return False
    if case.responsible_unit.district_id in roles.coordinator_district_ids:
        return True
    # `staff_unit_ids(user)` from the roles already read for the request (both are the
    # active units where the user holds a case-staff role): no query of its own.
    return case.responsible_unit_id in roles.unit_ids_with(*CASE_STAFF)


def requesting_units(user: User, case: Case) -> list[Unit]:
    """Units of the user that may ask for a case they can already see."""
    if case.status != Case.Status.OPEN:
        return []
    return list(
        requesting_units_of(user, case.responsible_unit_id, case.responsible_unit.district_id)
    )


def requesting_units_of(user: User, responsible_unit_id: Any, district_id: Any) -> QuerySet[Unit]:
    """The user's case-staff units in the district (`district_id`, an id or a reference to
    it) other than the responsible unit: those that may ask for the case."""
    ids = roles_of(user).unit_ids_with(*CASE_STAFF)
    # No staff unit: a condition matching nothing that stays a query (an empty IN list
    # would make the case page's one query of its lists answer nothing at all).
    mine = Q(pk__in=ids) if ids else Q(pk__isnull=True)
    return (
        Unit.objects.filter(mine, district_id=district_id, is_active=True)
        .exclude(pk=responsible_unit_id)
        .order_by("name")
    )


def target_units(case: Case) -> QuerySet[Unit]:
    return Unit.objects.filter(
        district_id=case.responsible_unit.district_id, is_active=True
    ).exclude(pk=case.responsible_unit_id)


def inbox_q(user: User) -> Q:
    """Pending handovers waiting for the user's decision, and returned ones back with a
    unit whose returned handovers the user marks read."""
    return Q(status=Handover.Status.PENDING, to_unit_id__in=deciding_unit_ids(user)) | Q(
        status=Handover.Status.RETURNED,
        from_unit_id__in=acknowledging_unit_ids(user),
        return_acknowledged_at__isnull=True,
    )


def inbox(user: User) -> QuerySet[Handover]:
    return (
        Handover.objects.filter(inbox_q(user))
        .select_related("case", "from_unit", "to_unit", "sent_by", "returned_by")
        .order_by("sent_at", "id")
    )


def _next_deadline() -> Subquery:
    """The case's earliest open deadline (overdue ones included), as a column."""
    return Subquery(
        Deadline.objects.filter(case_id=OuterRef("case_id"), done_at__isnull=True)
        .order_by()
        .values("case_id")
        .annotate(first=Min("due_on"))
        .values("first")[:1]
    )


@dataclass(frozen=True)
class Escalation:
    """Where a pending handover stands against escalation (services.escalation): step k
    arrives k × HANDOVER_ESCALATION_WORKING_DAYS working days after the day it was sent."""

    steps_arrived: int
    # The day the next step arrives; None once every step has.
    next_on: date | None

    @property
    def escalated(self) -> bool:
        return self.steps_arrived > 0


def escalation_of(sent_on: date, *, today: date) -> Escalation:
    per_step = setting("HANDOVER_ESCALATION_WORKING_DAYS")
    days = [add_working_days(sent_on, step * per_step) for step in range(1, ESCALATION_STEPS + 1)]
    arrived = sum(1 for day in days if day <= today)
    return Escalation(
        steps_arrived=arrived, next_on=days[arrived] if arrived < ESCALATION_STEPS else None
    )


_URGENCY_RANK: dict[str, int] = {
    Handover.Urgency.ACUTE: 0,
    Handover.Urgency.HIGH: 1,
    Handover.Urgency.NORMAL: 2,
}


@dataclass(frozen=True)
class InboxRow:
    """A pending handover as the inbox shows it: how long it has waited, where it stands
    against escalation, and the case's next deadline (the date that makes it urgent)."""

    handover: Handover
    waited_days: int
    waited_working_days: int
    escalation: Escalation
    next_deadline: date | None
    # Working days from today to the next deadline; negative when it has passed.
    deadline_working_days: int | None

    @property
    def urgency_key(self) -> tuple[int, int, date, datetime, int]:
        """Most urgent first: escalated (further steps first), then the sender's urgency,
        then the nearest case deadline, then the longest wait."""
        deadline = self.next_deadline or date.max
        return (
            -self.escalation.steps_arrived,
            _URGENCY_RANK.get(self.handover.urgency, 3),
            deadline,
            self.handover.sent_at,
            self.handover.pk or 0,
        )


# A handover's free text about the household: the inbox lists handovers without it, so it
# is neither read nor decrypted for every row (issue 22).
FREE_TEXT = ("reason", "expectations", "return_reason")


def inbox_rows(user: User, *, today: date | None = None) -> list[InboxRow]:
    """The pending handovers waiting for the user's units, most urgent first. Two queries
    whatever their number (the roles, usually cached, and the handovers with their case's
    next deadline); the working days are counted in Python from the legal calendar."""
    read = _waiting(user)
    return [] if read is None else _inbox_rows(_KEPT.all(*read), today)


def returned_to(user: User) -> list[Handover]:
    """Returned handovers, not yet acknowledged, back with units for which the user marks
    them read."""
    read = _returned(user)
    return [] if read is None else _KEPT.all(*read)


def inbox_page(user: User, *, today: date | None = None) -> tuple[list[InboxRow], list[Handover]]:
    """The inbox page's lists: `inbox_rows` and `returned_to`, their statements sent
    together (`read_together`: one round trip where there were two, issue 22, the
    twenty-ninth round)."""
    waiting, returned = _waiting(user), _returned(user)
    reads = [_KEPT.pending(*read) for read in (waiting, returned) if read is not None]
    found = iter(read_together(*reads))
    handovers = next(found) if waiting is not None else []
    return _inbox_rows(handovers, today), next(found) if returned is not None else []


_Read = tuple[Any, Callable[[], QuerySet[Handover]]]


def _waiting(user: User) -> _Read | None:
    """The key and builder of `inbox_rows`' statement; None where the user decides for no
    unit."""
    unit_ids = deciding_unit_ids(user)
    if not unit_ids:
        return None
    return _key(user, "inbox"), lambda: (
        # Not who sent it: neither the inbox nor the home page shows it (a User made
        # for each of the inbox's rows, issue 22).
        Handover.objects.filter(
            status__is_constant=Handover.Status.PENDING, to_unit_id__in=unit_ids
        )
        .select_related("case", "from_unit", "to_unit")
        .defer(*FREE_TEXT)
        .annotate(next_deadline=_next_deadline())
    )


def _inbox_rows(handovers: list[Handover], today: date | None) -> list[InboxRow]:
    today = today or timezone.localdate()
    rows = []
    for h in handovers:
        sent_on = timezone.localtime(h.sent_at).date()
        deadline: date | None = getattr(h, "next_deadline", None)  # the annotation
        rows.append(
            InboxRow(
                handover=h,
                waited_days=(today - sent_on).days,
                waited_working_days=working_days_between(sent_on, today),
                escalation=escalation_of(sent_on, today=today),
                next_deadline=deadline,
                deadline_working_days=working_days_between(today, deadline) if deadline else None,
            )
        )
    return sorted(rows, key=lambda row: row.urgency_key)


def _returned(user: User) -> _Read | None:
    """The key and builder of `returned_to`'s statement; None where the user acknowledges
    for no unit."""
    unit_ids = acknowledging_unit_ids(user)
    if not unit_ids:
        return None
    return (
        _key(user, "returned"),
        lambda: (
            Handover.objects.filter(
                status__is_constant=Handover.Status.RETURNED,
                from_unit_id__in=unit_ids,
                return_acknowledged_at__isnull=True,
            )
            .select_related("case", "from_unit", "to_unit", "returned_by")
            .defer(*FREE_TEXT)
            .order_by("returned_at", "id")
        ),
    )


# The inbox's two lists, each compiled once per reader (kept.KeptAll) and read afresh on
# every page: their text depends on the reader's units alone, which the reader's key
# holds (issue 22: building and compiling them was a fifth of the inbox's CPU). On their
# generic plans, with each list's status named in the text (a generic plan estimates a
# bound status by the column's distinct values; docs/architecture.md): PostgreSQL
# planned both afresh on every inbox, 1.9 ms of planning at national scale for a unit
# with 51 pending handovers; for twelve readers of units with 31-51, the generic plans
# took 0.52-0.90 of the custom plans' time, planning included (the twenty-first round).
# The plan-mode commands around them are sent with them (the inbox page sends both lists
# in one block, `inbox_page`: two more queries, no more round trips).
_KEPT = KeptAll(generic=True)


def _key(user: User, name: str) -> tuple[Any, ...] | None:
    key = reader_key(user, Handover.objects.all().db)
    return None if key is None else (key, name)


def taking_unit_id(handover: Handover) -> int:
    """The unit that takes the case (a transfer or transfer request) or the consultation."""
    return handover.new_unit_id if handover.moves_responsibility else handover.to_unit_id


def takers(handover: Handover) -> QuerySet[User]:
    """Who may be named to take the case: active case staff of the unit that takes it."""
    members = Membership.objects.filter(
        unit_id=taking_unit_id(handover), unit__is_active=True, role__in=list(CASE_STAFF)
    ).values("user_id")
    return User.objects.filter(pk__in=members, is_active=True).order_by(
        "first_name", "last_name", "username"
    )


def takers_key(handover: Handover) -> tuple[Any, ...]:
    """What the statement of `takers(handover)` depends on: the database and the unit
    that takes the case (`limit_choices(key=…)` keeps the options' statement by it)."""
    return (User.objects.all().db, "takers", taking_unit_id(handover))


def inbox_count(request: AuthenticatedRequest) -> int:
    """The navigation badge: one query."""
    if not roles_of(request.user).unit_ids:
        return 0
    return inbox_badge(request).count()


def inbox_badge(request: AuthenticatedRequest) -> QuerySet[Handover]:
    """What the navigation badge counts (home.navigation counts every badge in one query)."""
    if not roles_of(request.user).unit_ids:
        return Handover.objects.none()
    return Handover.objects.filter(inbox_q(request.user))


def handovers_of_case(case: Case) -> list[Handover]:
    return list(
        case.handovers.select_related(
            "from_unit", "to_unit", "sent_by", "seen_by", "accepted_by", "returned_by", "closed_by"
        ).order_by("-sent_at", "-id")
    )


@dataclass(frozen=True)
class DecisionSummary:
    """What a receiving unit sees before accepting: no names, no identity numbers."""

    case_number: str
    adults: int
    children_ages: list[int]
    lines: list[tuple[str, str]]


def decision_summary(handover: Handover, *, lines: list[tuple[str, str]]) -> DecisionSummary:
    """`lines`: what the case page's parts tell a deciding unit (`case_page.summary_for`)."""
    case = handover.case
    year = timezone.localdate().year
    # Read with the handover, if it was (`_with_case_sight`).
    years = getattr(handover, "case_child_years", None)
    if years is None:
        years = case.household.children.values_list("birth_year", flat=True)
    ages = sorted((year - y for y in years), reverse=True)
    adults = getattr(handover, "case_adults", None)  # read with the handover, if it was
    if adults is None:
        adults = Person.objects.filter(household_id=case.household_id).count()
    return DecisionSummary(case_number=case.number, adults=adults, children_ages=ages, lines=lines)


def describe(handover: Handover) -> str:
    """A line for notifications: case number and units, never a person."""
    return _("%(kind)s of case %(number)s from %(from)s to %(to)s") % {
        "kind": handover.get_kind_display(),
        "number": handover.case.number,
        "from": handover.from_unit.name,
        "to": handover.to_unit.name,
    }
