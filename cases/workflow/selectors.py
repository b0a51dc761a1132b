"""Reads of the workflow, scoped like the cases they belong to.

One way in: a signal through `get_signal_for_user`, a threat through
`get_threat_for_user`, a deadline through `get_deadline_for_user`."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from bokvar.models import Membership, Role, User
from bokvar.selectors import roles_of
from cases import selectors as case_selectors
from cases.identity import InvalidPersonalNumber, parse_personal_number
from cases.models import (
    Case,
    CaseAssignment,
    Deadline,
    EvictionThreat,
    LandlordSignal,
    Person,
)

STAFF_ROLES = (Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER)


def workflow_setting(name: str):
    return settings.BOKVAR[name]


def may_triage(user: User) -> bool:
    return bool(roles_of(user).coordinator_district_ids)


def visible_signals(user: User) -> QuerySet[LandlordSignal]:
    """Coordinators see every signal (they triage them); other staff only the signals
    of cases they may see."""
    if not user.is_authenticated or not user.is_active:
        return LandlordSignal.objects.none()
    if may_triage(user):
        return LandlordSignal.objects.all()
    return LandlordSignal.objects.filter(case__in=case_selectors.visible_cases(user))


def get_signal_for_user(user: User, signal_id: int, *, write: bool = False) -> LandlordSignal:
    signal = visible_signals(user).select_related("landlord", "case").filter(pk=signal_id).first()
    if signal is None:
        raise Http404
    if write and not may_triage(user):
        raise PermissionDenied
    return signal


def triage_queue(user: User) -> QuerySet[LandlordSignal]:
    return (
        visible_signals(user)
        .filter(status=LandlordSignal.Status.UNTRIAGED)
        .select_related("landlord")
        .order_by("received_on", "id")
    )


def untriaged_count(request) -> int:
    if not may_triage(request.user):
        return 0
    return LandlordSignal.objects.filter(status=LandlordSignal.Status.UNTRIAGED).count()


def suggestions_for(user: User, signal: LandlordSignal) -> list[Case]:
    """Open cases of people matching the signal's tenant (identity number, else exact
    name) through the blind indexes, among the cases the user may see."""
    key = None
    if signal.tenant_personal_number_bidx:
        key = {"personal_number_bidx": signal.tenant_personal_number_bidx}
    elif signal.tenant_name_bidx:
        key = {"name_bidx": signal.tenant_name_bidx}
    if key is None:
        return []
    people = Person.objects.filter(household_id=OuterRef("household_id"), **key).filter(
        case_selectors.persons_visible_q(user)
    )
    return list(
        case_selectors.visible_cases(user)
        .filter(Exists(people))
        .select_related("responsible_unit")
        .order_by("status", "-opened_on")[:10]
    )


def tenant_index(value: str) -> str:
    try:
        return case_selectors.personal_number_index(parse_personal_number(value))
    except InvalidPersonalNumber:
        return ""


def repeat_case_for(signal: LandlordSignal, *, today: date) -> Case | None:
    """An open case already holding a signal for the same tenant and landlord within
    the repeat window (system-wide: used when a signal arrives, whoever sends it)."""
    if not (signal.tenant_personal_number_bidx or signal.tenant_name_bidx):
        return None
    window = today - timedelta(days=workflow_setting("REPEAT_SIGNAL_DAYS"))
    tenant = (
        Q(tenant_personal_number_bidx=signal.tenant_personal_number_bidx)
        if signal.tenant_personal_number_bidx
        else Q(tenant_name_bidx=signal.tenant_name_bidx, tenant_personal_number_bidx="")
    )
    earlier = (
        LandlordSignal.objects.filter(tenant, landlord_id=signal.landlord_id)
        .filter(received_on__gte=window, case__status=Case.Status.OPEN)
        .exclude(pk=signal.pk)
        .select_related("case")
        .order_by("-received_on", "-id")
        .first()
    )
    return earlier.case if earlier else None


# --- Threats and deadlines -------------------------------------------------------------


def get_threat_for_user(
    user: User, case_id: int, threat_id: int, *, write: bool = False
) -> tuple[Case, EvictionThreat]:
    case = case_selectors.get_case_for_user(user, case_id, write=write)
    threat = EvictionThreat.objects.filter(case=case, pk=threat_id).first()
    if threat is None:
        raise Http404
    return case, threat


def responsible_staff(case: Case) -> list[User]:
    """Who is reminded: the case's assigned staff; if none, the responsible unit's staff."""
    return responsible_staff_by_case({case.pk: case.responsible_unit_id})[case.pk]


def responsible_staff_by_case(unit_of_case: dict[int, int]) -> dict[int, list[User]]:
    """`responsible_staff` for many cases ({case id: responsible unit id}) in at most
    two queries, whatever the number of cases: {case id: staff ordered by id}."""
    staff: dict[int, list[User]] = {case_id: [] for case_id in unit_of_case}
    if not staff:
        return staff
    assigned = (
        User.objects.filter(is_active=True, case_assignments__case_id__in=list(staff))
        .annotate(for_case=F("case_assignments__case_id"))
        .order_by("id")
    )
    for user in assigned:
        staff[user.for_case].append(user)
    unassigned_units = {unit_of_case[case_id] for case_id, users in staff.items() if not users}
    if unassigned_units:
        by_unit = _unit_staff_by_unit(unassigned_units)
        for case_id, users in staff.items():
            if not users:
                users.extend(by_unit.get(unit_of_case[case_id], []))
    return staff


def _unit_staff_by_unit(unit_ids: set[int]) -> dict[int, list[User]]:
    by_unit: dict[int, dict[int, User]] = {}
    members = (
        User.objects.filter(
            is_active=True,
            memberships__unit_id__in=list(unit_ids),
            memberships__role__in=list(STAFF_ROLES),
        )
        .annotate(for_unit=F("memberships__unit_id"))
        .order_by("id")
    )
    for user in members:
        # Several staff roles in one unit make several rows; one reminder each.
        by_unit.setdefault(user.for_unit, {}).setdefault(user.pk, user)
    return {unit_id: list(users.values()) for unit_id, users in by_unit.items()}


def unit_staff(unit_id: int) -> list[User]:
    return _unit_staff_by_unit({unit_id}).get(unit_id, [])


def district_coordinators(district_id: int) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            memberships__unit__district_id=district_id,
            memberships__role=Role.COORDINATOR,
        )
        .distinct()
        .order_by("id")
    )


def _responsible_q(user: User) -> Q:
    """Deadlines this user answers for: assigned cases, or unassigned cases of their units.

    Both sides are sets of case ids driven by the user (their assignments, their units'
    cases), so the database never walks every assignment of the installation."""
    mine = CaseAssignment.objects.filter(user=user).values("case_id")
    units = Membership.objects.filter(user=user, role__in=list(STAFF_ROLES)).values("unit_id")
    unassigned = (
        Case.objects.filter(responsible_unit_id__in=units, status=Case.Status.OPEN)
        .exclude(Exists(CaseAssignment.objects.filter(case_id=OuterRef("pk"))))
        .values("pk")
    )
    return Q(case_id__in=mine) | Q(case_id__in=unassigned)


def my_deadlines(user: User) -> QuerySet[Deadline]:
    """Open deadlines of open cases the user answers for, overdue first (earliest due)."""
    return (
        Deadline.objects.filter(done_at__isnull=True, case__status=Case.Status.OPEN)
        .filter(_responsible_q(user))
        .select_related("case", "case__responsible_unit")
        .order_by("due_on", "id")
    )


def my_deadline_count(request, *, today: date | None = None) -> int:
    """The navigation badge: overdue or due within the longest lead time. One query."""
    from django.utils import timezone

    today = today or timezone.localdate()
    horizon = today + timedelta(days=max(workflow_setting("REMINDER_LEAD_DAYS")))
    return my_deadlines(request.user).filter(due_on__lte=horizon).count()


def get_deadline_for_user(user: User, deadline_id: int) -> Deadline:
    deadline = (
        Deadline.objects.filter(case__in=case_selectors.visible_cases(user), pk=deadline_id)
        .select_related("case")
        .first()
    )
    if deadline is None:
        raise Http404
    if not case_selectors.can_write_case(user, deadline.case):
        raise PermissionDenied
    return deadline


def upcoming_deadlines(case: Case, *, limit: int = 5) -> list[Deadline]:
    return list(case.deadlines.filter(done_at__isnull=True).order_by("due_on", "id")[:limit])


def current_threat(case: Case) -> EvictionThreat | None:
    return case.threats.order_by("-created_at", "-id").first()
