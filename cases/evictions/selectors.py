"""Reads of the eviction-prevention work, scoped like the cases they belong to.

One way in: a signal through `get_signal_for_user`, a threat through
`get_threat_for_user`, a deadline through `get_deadline_for_user`, a landlord through
`get_landlord_for_user`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from bokvar.compiled import KeptIdRows, reader_key
from bokvar.conf import setting
from bokvar.crypto import blind_index, blind_indexes, normalise_name
from bokvar.models import Membership, Role, Unit, User
from bokvar.permissions import AuthenticatedRequest
from bokvar.roles import CASE_STAFF, UNIT_CASE_ROLES
from bokvar.selectors import roles_of
from cases.core.identity import NAME, PERSONAL_NUMBER
from cases.core.selectors import cases as case_selectors
from cases.core.selectors import people as people_selectors
from cases.core.selectors.kept import KeptAll, KeptFirst, read_together
from cases.models import (
    Case,
    CaseAssignment,
    Deadline,
    EvictionThreat,
    HouseholdChild,
    Landlord,
    LandlordSignal,
    PaymentRoute,
    Person,
    SignalImport,
)


def may_triage(user: User) -> bool:
    return bool(roles_of(user).coordinator_district_ids)


def _landlords_of(district_ids: Iterable[int]) -> QuerySet[Any, Any]:
    return Landlord.districts.through.objects.filter(district_id__in=district_ids).values(
        "landlord_id"
    )


def triage_scope_q(user: User) -> Q:
    """Signals a coordinator triages: those of the districts they coordinate, and those
    whose district nobody knows yet if the landlord has flats in one of those districts.
    Only when the landlord has no district registered at all is there no better rule,
    and then any coordinator may take the signal (triage gives it a district)."""
    district_ids = roles_of(user).coordinator_district_ids
    if not district_ids:
        return Q(pk__in=[])
    placed_landlords = Landlord.districts.through.objects.values("landlord_id")
    return (
        Q(district_id__in=district_ids)
        | Q(district__isnull=True, landlord_id__in=_landlords_of(district_ids))
        | (Q(district__isnull=True) & ~Q(landlord_id__in=placed_landlords))
    )


def visible_signals(user: User, *, by_row: bool = False) -> QuerySet[LandlordSignal]:
    """Coordinators see the signals of their districts (they triage them); all staff see
    the signals of cases they may see. One query, however the user is scoped.

    `by_row` (one signal, `get_signal_for_user`): whether the signal's case is visible
    is asked for that case alone (`EXISTS`). As an `IN` over the reader's visible cases
    inside the `OR` with the districts, PostgreSQL built the whole set to test one
    signal: a scan of all 501,600 cases at national scale, 80 ms of the signal page
    (issue 22). The same rule either way; a list keeps the `IN`."""
    if not user.is_authenticated or not user.is_active:
        return LandlordSignal.objects.none()
    cases = case_selectors.visible_cases(user)
    condition = (
        Q(Exists(cases.filter(pk=OuterRef("case_id"))))
        if by_row
        else Q(case_id__in=cases.values("pk"))
    )
    if may_triage(user):
        condition |= triage_scope_q(user)
    return LandlordSignal.objects.filter(condition).select_related("case")


def mark_withheld(
    user: object,
    signals: Iterable[LandlordSignal],
    *,
    sight: people_selectors.Sight | None = None,
) -> list[LandlordSignal]:
    """Apply the one visibility rule (`people_selectors.Sight`) to signals about to be
    shown: `withheld` is set on each, and templates and serializers show no tenant data,
    description or dismissal reason of a withheld signal. One query for the whole list
    (none when the caller passes the reader's `sight`, already read)."""
    sight = sight or people_selectors.Sight(user)
    shown = list(signals)
    for signal in shown:
        signal.withheld = sight.hides_signal(signal)
    return shown


def protected_signal_contacts(signal: LandlordSignal) -> list[User]:
    """Who to ask about a signal naming a protected person: the users granted that person
    who may triage the signal (so the signal routed to them reaches someone who can act
    on it)."""
    people = people_selectors.protected_people_named_by(
        number_index=signal.tenant_personal_number_bidx,
        name_index=signal.tenant_name_bidx,
        case_id=signal.case_id,
    )
    return [
        user for user in people_selectors.users_granted(people) if may_triage_signal(user, signal)
    ]


def may_triage_signal(user: User, signal: LandlordSignal) -> bool:
    if not may_triage(user):
        return False
    key = reader_key(user, LandlordSignal.objects.all().db)
    found = _SIGNAL.first(
        None if key is None else (key, "triage"),
        lambda pk: LandlordSignal.objects.filter(triage_scope_q(user), pk=pk).only("pk"),
        signal.pk,
    )
    return found is not None


def get_signal_for_user(user: User, signal_id: int, *, write: bool = False) -> LandlordSignal:
    """404 where the user may not know the signal exists; 403 where they may read it (it
    belongs to a case they see) but it is not theirs to triage."""
    key = reader_key(user, LandlordSignal.objects.all().db)
    signal: LandlordSignal | None = _SIGNAL.first(
        None if key is None else (key, "read"),
        lambda pk: (
            visible_signals(user, by_row=True)
            .select_related("landlord", "case", "repeat_of")
            .filter(pk=pk)
            # Whether any signal repeats it, in the same statement (an index probe): most
            # signals have no repeat, and their page then asks for none (`repeats_of`).
            .annotate(
                has_repeats=Exists(LandlordSignal.objects.filter(repeat_of_id=OuterRef("pk")))
            )
        ),
        signal_id,
    )
    if signal is None:
        raise Http404
    if write and not may_triage_signal(user, signal):
        raise PermissionDenied
    if write and people_selectors.Sight(user).hides_signal(signal):
        # Only those granted the protected person it names may triage it; the others
        # route it to them (`triage.route_protected_signal`).
        raise PermissionDenied
    return signal


# The signal page's reads of one signal (the signal with the reader's rule, whether it is
# theirs to triage), each compiled once per reader (kept.KeptFirst) and run with the
# page's id: building and compiling them was a fifth of the page's CPU (issue 22).
_SIGNAL = KeptFirst()


def get_signal_import_for_user(user: User, import_id: int) -> SignalImport:
    """A background import is seen only by whoever uploaded it (it names a landlord and
    its rejected rows' line numbers, nothing about a tenant); 404 for everyone else."""
    job = (
        SignalImport.objects.select_related("landlord")
        .filter(pk=import_id, requested_by=user)
        .first()
    )
    if job is None:
        raise Http404
    return job


def _waiting(user: User) -> QuerySet[LandlordSignal]:
    """Untriaged signals of the user's districts that are queue items of their own: a
    repeat is not, unless the signal it repeats was triaged without it (which triage
    prevents; this is a safety net so nothing can drop out of sight)."""
    if not may_triage(user):
        return LandlordSignal.objects.none()
    waiting = LandlordSignal.Status.UNTRIAGED
    routed_away = Q(routed_at__isnull=False) & people_selectors.names_hidden_person_q(
        user, number_field="tenant_personal_number_bidx", name_field="tenant_name_bidx"
    )
    # The status is written into the statement's text (`is_constant`), not bound: the
    # badge and the queue run on their generic plans, where a bound status is estimated
    # at one row in two (the statuses are two or three), not at the few waiting. At
    # city scale PostgreSQL then hashed all 100,000 signals to look up each waiting
    # one's repeat: 45 ms on every page of a coordinator, against 1.7 ms with the
    # constant (issue 22, docs/performance.md, the twentieth round).
    return (
        LandlordSignal.objects.filter(triage_scope_q(user), status__is_constant=waiting)
        .filter(Q(repeat_of__isnull=True) | ~Q(repeat_of__status__is_constant=waiting))
        .exclude(routed_away)
    )


def triage_queue(user: User) -> QuerySet[LandlordSignal]:
    """The queue, oldest first, each signal with the number of repeats waiting with it."""
    repeats = (
        LandlordSignal.objects.filter(
            repeat_of_id=OuterRef("pk"), status__is_constant=LandlordSignal.Status.UNTRIAGED
        )
        .order_by()
        .values("repeat_of_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        _waiting(user)
        .annotate(repeat_count=Coalesce(Subquery(repeats), 0))
        .select_related("landlord")
        .order_by("received_on", "id")
    )


_TRIAGE_QUEUE = KeptAll(generic=True)


def triage_queue_rows(user: User) -> list[LandlordSignal]:
    """`triage_queue`, read as it is now by a statement compiled once per reader
    (kept.KeptAll): its text depends on the districts the reader coordinates and their
    own sight, both in the reader's key or in the statement's subqueries (issue 22:
    building and compiling the queue's filters was a sixth of the page's CPU). On its
    generic plan: 0.59-0.67 of the custom plans' time for six coordinators at national
    scale, end to end."""
    key = reader_key(user, LandlordSignal.objects.all().db)
    return _TRIAGE_QUEUE.all(None if key is None else (key, "triage"), lambda: triage_queue(user))


def untriaged_count(request: AuthenticatedRequest) -> int:
    """The navigation badge: the items of the user's own queue, one query."""
    return untriaged_badge(request).count()


def untriaged_badge(request: AuthenticatedRequest) -> QuerySet[LandlordSignal]:
    """What the navigation badge counts (home.navigation counts every badge in one query)."""
    return _waiting(request.user)


_REPEATS = KeptAll()


def repeats_of(signal: LandlordSignal) -> list[LandlordSignal]:
    """The signal's repeats, oldest first, by a statement compiled once per database
    (`KeptAll.all_of`): building it was a seventh of the signal page's CPU (issue 22).
    None are asked for when the signal was read knowing that nothing repeats it."""
    if getattr(signal, "has_repeats", None) is False:
        return []  # read with the signal: none repeats it (`get_signal_for_user`)

    def build(pk: int) -> QuerySet[LandlordSignal]:
        return LandlordSignal.objects.filter(repeat_of_id=pk).order_by("received_on", "id")

    return _REPEATS.all_of(LandlordSignal.objects.all().db, build, signal.pk)


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
    households = (
        Person.objects.filter(**key)
        .filter(people_selectors.persons_visible_q(user))
        .order_by()
        .values("household_id")
    )
    # Driven by the blind index (a tenant has a handful of cases), sorted and cut here: with
    # ORDER BY and LIMIT in the query PostgreSQL walked every case of the installation in
    # the order's index, testing each for the tenant and the reader's sight (2.5 s at
    # national scale for a coordinator, EXPLAIN ANALYZE; 16 ms this way). issue 22.
    cases = list(
        case_selectors.visible_cases(user)
        .filter(household_id__in=households)
        .select_related("responsible_unit")
        .order_by()
    )
    # Open cases first ("open" sorts after "closed"), then the newest.
    cases.sort(key=lambda c: (c.status, c.opened_on, c.pk), reverse=True)
    return cases[:10]


@dataclass(frozen=True)
class Suggestion:
    """A case offered at triage and what the user may do with it: link the signal to it
    (open case), reopen it and link (closed case, when the tenant has no open one), or
    nothing (read-only access)."""

    case: Case
    action: str  # "link", "reopen" or ""


def triage_suggestions(user: User, signal: LandlordSignal) -> list[Suggestion]:
    cases = suggestions_for(user, signal)
    writable = set(
        case_selectors.writable_cases(user)
        .filter(pk__in=[c.pk for c in cases])
        .values_list("pk", flat=True)
    )
    any_open = any(c.status == Case.Status.OPEN for c in cases)
    out = []
    for case in cases:
        action = ""
        if case.pk in writable and case.status == Case.Status.OPEN:
            action = "link"
        elif case.pk in writable and not any_open:
            action = "reopen"
        out.append(Suggestion(case=case, action=action))
    return out


def repeated_signal(signal: LandlordSignal) -> LandlordSignal | None:
    """The earlier signal `signal` repeats: same landlord and tenant, received within the
    repeat window of this signal's own date (either side: letters arrive out of order).
    One already linked to an open case wins; otherwise the first one still waiting for
    triage (the head of its repeats). System-wide: used when a signal arrives."""
    if not (signal.tenant_personal_number_bidx or signal.tenant_name_bidx):
        return None
    days = timedelta(days=setting("REPEAT_SIGNAL_DAYS"))
    tenant = (
        Q(tenant_personal_number_bidx=signal.tenant_personal_number_bidx)
        if signal.tenant_personal_number_bidx
        else Q(tenant_name_bidx=signal.tenant_name_bidx, tenant_personal_number_bidx="")
    )
    nearby = (
        LandlordSignal.objects.filter(tenant, landlord_id=signal.landlord_id)
        .filter(received_on__range=(signal.received_on - days, signal.received_on + days))
        .exclude(pk=signal.pk)
    )
    linked = (
        nearby.filter(case__status=Case.Status.OPEN)
        .exclude(status=LandlordSignal.Status.DISMISSED)
        .select_related("case", "case__responsible_unit")
        .order_by("-received_on", "-id")
        .first()
    )
    if linked is not None:
        return linked
    waiting = (
        nearby.filter(status=LandlordSignal.Status.UNTRIAGED)
        .select_related("repeat_of")
        .order_by("received_on", "id")
        .first()
    )
    if waiting is None:
        return None
    return waiting.repeat_of or waiting


def district_of_tenant(signal: LandlordSignal) -> int | None:
    """The district of the tenant's open cases, if they all lie in one district."""
    if signal.tenant_personal_number_bidx:
        key = {"personal_number_bidx": signal.tenant_personal_number_bidx}
    elif signal.tenant_name_bidx:
        key = {"name_bidx": signal.tenant_name_bidx}
    else:
        return None
    people = Person.objects.filter(household_id=OuterRef("household_id"), **key)
    districts = set(
        Case.objects.filter(Exists(people), status=Case.Status.OPEN)
        .values_list("responsible_unit__district_id", flat=True)
        .distinct()[:2]
    )
    return districts.pop() if len(districts) == 1 else None


def district_of_person(person: Person) -> int | None:
    """The district responsible for a registered person: of their household's open case,
    else of its latest case."""
    return (
        Case.objects.filter(household_id=person.household_id)
        .order_by("-status", "-opened_on", "-id")  # open sorts after closed
        .values_list("responsible_unit__district_id", flat=True)
        .first()
    )


def person_visible_to(user: User, person: Person) -> bool:
    """Whether the user may know the person exists: a case of theirs they see, and not a
    protected identity they are not granted."""
    return (
        Person.objects.filter(people_selectors.persons_visible_q(user), pk=person.pk).exists()
        and case_selectors.visible_cases(user).filter(household_id=person.household_id).exists()
    )


# --- Landlords ---------------------------------------------------------------------------


def landlord_district_ids(user: User) -> set[int]:
    """Districts a user may place landlords in: those they coordinate, and for an
    administrator the districts of their units."""
    roles = roles_of(user)
    allowed = set(roles.coordinator_district_ids)
    if roles.has(Role.ADMINISTRATOR):
        allowed |= roles.district_ids
    return allowed


LANDLORD_NAME = "landlord_name"


def landlord_name_index(name: str) -> str:
    return blind_index(normalise_name(name), purpose=LANDLORD_NAME)


def landlord_name_indexes(name: str) -> list[str]:
    """Every form the name's index may have while blind-index keys rotate."""
    return blind_indexes(normalise_name(name), purpose=LANDLORD_NAME)


def register_blind_indexes() -> None:
    """Evictions' blind-index columns, for `rebuild_blind_indexes`. A signal's tenant is
    indexed with the person's purposes: matching the two is what they are for."""
    from bokvar.blind_indexes import IndexedColumn, register

    register(
        IndexedColumn(
            "cases.LandlordSignal",
            "tenant_personal_number_bidx",
            PERSONAL_NUMBER,
            lambda s: s.tenant_personal_number or None,
            ("tenant_personal_number",),
        ),
        IndexedColumn(
            "cases.LandlordSignal",
            "tenant_name_bidx",
            NAME,
            lambda s: normalise_name(s.tenant_name) or None,
            ("tenant_name",),
        ),
        IndexedColumn(
            "cases.Landlord",
            "name_bidx",
            LANDLORD_NAME,
            lambda landlord: (
                normalise_name(landlord.private_name or landlord.organisation_name) or None
            ),
            ("private_name", "organisation_name"),
        ),
    )


def find_landlord_by_name(name: str) -> Landlord | None:
    return Landlord.objects.filter(name_bidx__in=landlord_name_indexes(name)).first()


def may_edit_landlord(user: User, landlord: Landlord) -> bool:
    """A coordinator of one of the landlord's districts (any coordinator when it has none)."""
    mine = roles_of(user).coordinator_district_ids
    if not mine:
        return False
    # .all() so that a list with prefetched districts asks nothing per landlord.
    theirs = {district.pk for district in landlord.districts.all()}
    return not theirs or bool(theirs & set(mine))


def get_landlord_for_user(user: User, landlord_id: int, *, write: bool = False) -> Landlord:
    """The register is open to its keepers: 404 for a landlord that does not exist, 403
    where the user may read the register but the landlord is not theirs to change."""
    landlord = Landlord.objects.filter(pk=landlord_id).first()
    if landlord is None:
        raise Http404
    if write and not may_edit_landlord(user, landlord):
        raise PermissionDenied
    return landlord


# --- Threats and deadlines -------------------------------------------------------------


def get_threat_for_user(
    user: User, case_id: int, threat_id: int, *, write: bool = False
) -> tuple[Case, EvictionThreat]:
    case = case_selectors.get_case_for_user(user, case_id, write=write)
    threat = EvictionThreat.objects.filter(case=case, pk=threat_id).first()
    if threat is None:
        raise Http404
    return case, threat


def _answered_case_ids(user: User) -> QuerySet[Any, Any]:
    """The open cases whose deadlines this user answers for: those assigned to them, and
    the ones of the units where they are case staff assigned to nobody. The two sets are
    disjoint (assigned to the user, assigned to nobody), so one `UNION ALL`.

    One's open assigned cases are read from the assignments' copy of their case's status
    (`CaseAssignment.case_open`, kept by the database) by an index of open assignments,
    not among every case one was ever assigned (most of them closed). The unit's open
    cases assigned to nobody are read by the case's own flag (`Case.assigned`, kept by
    the database) from an index of those alone: as the unit's open cases less its
    assigned ones, PostgreSQL hashed the unit's 560-600 open assignments on every page
    of case staff to find that no case lacked one (0.45 ms at national scale, issue 22)."""
    mine = CaseAssignment.objects.filter(user=user, case_open=True).values("case_id")
    units = Membership.objects.filter(user=user, role__in=list(CASE_STAFF)).values("unit_id")
    # "Open" written into the text (`is_constant`; `assigned=False` is written as `NOT
    # assigned`): the badge runs on its generic plan, which can read the partial index
    # of a unit's unassigned open cases only for the constants it names; with the status
    # bound it read all of the unit's cases (issue 22, the twentieth round).
    unassigned = Case.objects.filter(
        responsible_unit_id__in=units, status__is_constant=Case.Status.OPEN, assigned=False
    ).values("pk")
    return mine.order_by().union(unassigned.order_by(), all=True)


def _income_support_deadline_ids(user: User) -> QuerySet[Any, Any]:
    """Recovery deadlines of threats whose payment route has an income-support application
    to one of the user's units (as coordinator or caseworker there): the unit that
    decides on the money must see the day it is needed by, as soon as the application is
    linked, and until it refuses. Only the recovery deadline: the eviction date and
    follow-ups are the case's, which the unit need not see. Open deadlines of open cases,
    as a set driven by the routes (a recovery deadline is its threat's case's)."""
    units = Membership.objects.filter(
        user=user, role__in=list(UNIT_CASE_ROLES), unit__kind=Unit.Kind.INCOME_SUPPORT
    ).values("unit_id")
    routes = (
        PaymentRoute.objects.filter(income_support_unit_id__in=units, applied_on__isnull=False)
        .exclude(decision=PaymentRoute.Decision.REFUSED)
        .values("threat_id")
    )
    open_cases = EvictionThreat.objects.filter(pk__in=routes, case__status=Case.Status.OPEN).values(
        "case_id"
    )
    return Deadline.objects.filter(
        done_at__isnull=True,
        kind=Deadline.Kind.RECOVERY,
        threat_id__in=routes,
        case_id__in=open_cases,
    ).values("pk")


def answered_deadlines(user: User) -> QuerySet[Deadline]:
    """Open deadlines of open cases the user answers for (assigned cases, or unassigned
    cases of their units), and the recovery deadlines an income-support unit of theirs
    has an application for: no annotation, and no join to the case but for the
    deadlines found (what the badge counts).

    Counted from the user's cases outward (issue 22): the deadlines are read by the
    deadlines' case index for the user's cases only, and the two sources meet in one
    `IN` over their `UNION`. Written as alternatives of one `WHERE` (`case_id IN (...)
    OR ...`), PostgreSQL could not read by case: it tested every open deadline of the
    installation against three hashed subqueries (9-35 ms of the navigation on every
    case-staff page at national scale, 1.4-4 ms this way; docs/performance.md, h22n)."""
    responsible = Deadline.objects.filter(
        done_at__isnull=True,
        case_id__in=_answered_case_ids(user),
        # The case's status for the open deadlines found (see _answered_case_ids).
        case__status=Case.Status.OPEN,
    ).values("pk")
    return Deadline.objects.filter(
        pk__in=responsible.order_by().union(_income_support_deadline_ids(user).order_by())
    )


def my_deadlines(user: User) -> QuerySet[Deadline]:
    """`answered_deadlines`, overdue first (earliest due), with their threat and whether
    children live in the household (`has_children`), so the page shows them as the
    threat panel does in a constant number of queries."""
    return (
        answered_deadlines(user)
        .select_related("case", "case__responsible_unit", "threat")
        .annotate(
            has_children=Exists(
                HouseholdChild.objects.filter(household_id=OuterRef("case__household_id"))
            )
        )
        .order_by("due_on", "id")
    )


_MY_DEADLINES = KeptAll(generic=True)


def my_deadline_rows(user: User, *, most: int = 200) -> list[Deadline]:
    """The first `most` of `my_deadlines`, read as they are now by a statement compiled
    once per reader (kept.KeptAll): building and compiling the list's union of the
    user's cases, units and income-support applications was a fifth of the page's CPU,
    for a text that depends on the reader alone (issue 22). On its generic plan: at
    national scale PostgreSQL planned it afresh on every page (1.7 ms); for 18 readers
    of three roles the generic plan took 0.41-0.84 of the custom plans' time end to end,
    three guides 1.07-1.16 (+0.1-0.3 ms)."""
    key = reader_key(user, Deadline.objects.all().db)
    return _MY_DEADLINES.all(
        None if key is None else (key, most), lambda: my_deadlines(user)[:most]
    )


def my_deadline_count(request: AuthenticatedRequest, *, today: date | None = None) -> int:
    """The navigation badge: overdue or due within the longest lead time. One query."""
    return my_deadline_badge(request, today=today).count()


def my_deadline_badge(
    request: AuthenticatedRequest, *, today: date | None = None
) -> QuerySet[Deadline]:
    """What the navigation badge counts (home.navigation counts every badge in one query):
    `answered_deadlines` without the list's joins, due by the longest lead time."""
    return answered_deadlines(request.user).filter(
        due_on__lte=badge_horizon(today or timezone.localdate())
    )


def badge_horizon(today: date) -> date:
    """The last due day the deadlines badge counts: the longest lead time from today."""
    return today + timedelta(days=max(setting("REMINDER_LEAD_DAYS")))


def deadline_badge_of_rows(rows: list[Deadline], *, most: int, today: date) -> int | None:
    """The deadlines badge counted from My deadlines' rows (`my_deadline_rows(user,
    most=most)`: `answered_deadlines` by due day), or None when the rows may not hold
    every deadline it counts: `most` rows read, the last of them still within the
    horizon (the badge's query then counts them)."""
    horizon = badge_horizon(today)
    if len(rows) >= most and rows[-1].due_on <= horizon:
        return None
    return sum(1 for deadline in rows if deadline.due_on <= horizon)


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


# A case's next open deadlines and its newest threat, each by a statement compiled once
# per database (and limit) and run with the case's id: the handover page's summary built
# both on every page, a fifth of its CPU (issue 22). Each row gets the case it was read
# through, as the case's related managers give it.
_UPCOMING = KeptAll()
_CURRENT_THREAT = KeptFirst()


def upcoming_deadlines(case: Case, *, limit: int = 5) -> list[Deadline]:
    key = (Deadline.objects.all().db, limit)
    return _of_case(_UPCOMING.all_of(key, _upcoming_of(limit), case.pk), case)


def current_threat(case: Case) -> EvictionThreat | None:
    threat: EvictionThreat | None = _CURRENT_THREAT.first(
        EvictionThreat.objects.all().db, _current_of, case.pk
    )
    if threat is not None:
        threat.case = case
    return threat


def current_threat_and_upcoming(
    case: Case, *, limit: int = 5
) -> tuple[EvictionThreat | None, list[Deadline]]:
    """`current_threat` and `upcoming_deadlines`, read together in one round trip (the
    handover page's decision summary: two round trips before, issue 22, the
    twenty-ninth round)."""
    threat, deadlines = read_together(
        _CURRENT_THREAT.pending(EvictionThreat.objects.all().db, _current_of, case.pk),
        _UPCOMING.pending_of((Deadline.objects.all().db, limit), _upcoming_of(limit), case.pk),
    )
    if threat is not None:
        threat.case = case
    return threat, _of_case(deadlines, case)


def _upcoming_of(limit: int) -> Callable[[int], QuerySet[Deadline]]:
    def build(pk: int) -> QuerySet[Deadline]:
        return (
            Deadline.objects.filter(case_id=pk, done_at__isnull=True)
            .select_related("threat")
            .order_by("due_on", "id")[:limit]
        )

    return build


def _current_of(pk: int) -> QuerySet[EvictionThreat]:
    return EvictionThreat.objects.filter(case_id=pk).order_by("-created_at", "-id")


def _of_case(rows: list[Any], case: Case) -> list[Any]:
    """`rows` (a case's threats or deadlines), each given the case already read."""
    for row in rows:
        row.case = case
    return rows


def get_payment_route_for_user(
    user: User, case_id: int, threat_id: int, *, write: bool = False
) -> tuple[Case, EvictionThreat, PaymentRoute | None]:
    """The payment route of a threat, through the threat's way in (None: none recorded)."""
    case, threat = get_threat_for_user(user, case_id, threat_id, write=write)
    route = PaymentRoute.objects.filter(threat=threat).select_related("income_support_unit").first()
    return case, threat, route


def income_support_units() -> QuerySet[Unit]:
    """Units an income-support application can be made to: the income-support units of
    every district (income support may sit in another district than the case)."""
    return (
        Unit.objects.filter(kind=Unit.Kind.INCOME_SUPPORT)
        .select_related("district")
        .order_by("district__name", "name")
    )


_OPENABLE = KeptIdRows(Case)


def openable_case_ids(user: User, case_ids: Iterable[int]) -> set[int]:
    """Of `case_ids`, those the user may open (one query): a deadline row shown to an
    income-support unit only because of an application links to nothing it may not see.

    By a statement compiled once per reader (`KeptIdRows`, the ids one array): building
    the reader's permission filter was a quarter of My deadlines' CPU (issue 22)."""

    def build(ids: list[int]) -> QuerySet[Case, Any]:
        return case_selectors.visible_cases(user).filter(pk__any=ids).values_list("pk")

    key = reader_key(user, Case.objects.all().db)
    return {pk for (pk,) in _OPENABLE.rows(case_ids, key=key, build=build)}


def payment_routes_of_threats(threat_ids: Iterable[int]) -> dict[int, PaymentRoute]:
    """{threat id: its payment route, with the threat}, in one query (none for no
    threats: building the statement only to find it empty was 0.7 ms of My deadlines)."""
    ids = list(threat_ids)
    if not ids:
        return {}
    routes = PaymentRoute.objects.filter(threat_id__in=ids).select_related("threat")
    return {route.threat_id: route for route in routes}
