"""Cases: opening one (for a new household; `households` opens one for a returning
household), editing, closing and reopening it, and who is assigned to it."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import Role, Unit, User
from bokvar.selectors import roles_of

from ...models import Case, CaseAssignment, CaseNumberSequence, Household, HouseholdChild, Person
from ..selectors import cases as case_selectors
from .access import PROTECTED_PERM, grant_case, grant_perm, revoke_case
from .people import (
    PersonalNumberTaken,
    PersonData,
    RegistrationRequested,
    apply_person_data,
    check_birth_year,
    ensure_unique_personal_number,
    route_refused_registration,
    write_name_tokens,
)


def may_create_case_for(actor: User, unit: Unit) -> bool:
    roles = roles_of(actor)
    if unit.district_id in roles.coordinator_district_ids:
        return True
    return roles.has(Role.CASEWORKER, Role.GUIDE) and unit.pk in roles.unit_ids


def _next_case_number(year: int) -> str:
    CaseNumberSequence.objects.get_or_create(year=year)
    seq = CaseNumberSequence.objects.select_for_update().get(year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"BK-{year}-{seq.last:04d}"


@transaction.atomic
def create_case(
    *,
    actor: User,
    kind: str,
    responsible_unit: Unit,
    assignees: list[User],
    people: list[PersonData],
    children_birth_years: list[int],
    opened_on: date | None = None,
    reason: str = "case created",
) -> Case:
    if not may_create_case_for(actor, responsible_unit):
        raise PermissionDenied
    if not people:
        raise ValidationError({"people": _("A case needs at least one person.")})
    household = attribute(Household(), user=actor, reason=reason)
    household.save()
    persons = []
    held: list[case_selectors.NumberClash] = []
    for index, data in enumerate(people):
        person = Person(household=household)
        apply_person_data(person, data)
        try:
            ensure_unique_personal_number(
                person, actor=actor, field_name=f"people-{index}-personal_number"
            )
        except PersonalNumberTaken as exc:
            if exc.clash.visible:
                raise
            # Held out of sight. Every other check still runs, so that an error elsewhere
            # in the form is reported alike whether or not the number is held; the rows
            # are rolled back below (without the index, the unique constraint is not hit).
            held.append(exc.clash)
            person.personal_number_bidx = ""
        person.full_clean(exclude=["household"])
        attribute(person, user=actor, reason=reason).save()
        write_name_tokens(person)
        persons.append(person)
    household.head = persons[0]
    attribute(household, user=actor, reason=reason).save(update_fields=["head"])
    for year in children_birth_years:
        check_birth_year(year, "children")
        attribute(
            HouseholdChild(household=household, birth_year=year), user=actor, reason=reason
        ).save()
    case = open_case_row(
        household=household,
        kind=kind,
        responsible_unit=responsible_unit,
        assignees=assignees,
        opened_on=opened_on,
        actor=actor,
        reason=reason,
    )
    if held:
        raise RegistrationRequested(held)  # rolls back everything written above
    for person in persons:
        if person.is_protected:
            for user in {actor, *assignees}:
                grant_perm(PROTECTED_PERM, user, person, actor=actor, reason=reason)
    return case


def register_case(
    *,
    actor: User,
    kind: str,
    responsible_unit: Unit,
    assignees: list[User],
    people: list[PersonData],
    children_birth_years: list[int],
) -> Case | None:
    """A new case from the new-case form: `create_case`, or, when an identity number in
    it is held by someone out of the actor's sight, a registration request routed to
    those who may see the holder (`people.route_refused_registration`) and None. The
    caller must answer both alike (issue 16, point 4)."""
    try:
        return create_case(
            actor=actor,
            kind=kind,
            responsible_unit=responsible_unit,
            assignees=assignees,
            people=people,
            children_birth_years=children_birth_years,
        )
    except RegistrationRequested as exc:
        for clash in exc.clashes:
            route_refused_registration(actor=actor, clash=clash)
        return None


def open_case_row(
    *,
    household: Household,
    kind: str,
    responsible_unit: Unit,
    assignees: list[User],
    opened_on: date | None,
    actor: User,
    reason: str,
) -> Case:
    """The case row of a new case, granted to its unit and assigned: the part every way
    of opening a case shares (a new household, a returning one)."""
    case = Case(
        number=_next_case_number(timezone.localdate().year),
        household=household,
        kind=kind,
        responsible_unit=responsible_unit,
        opened_on=opened_on or timezone.localdate(),
    )
    case.full_clean()
    attribute(case, user=actor, reason=reason).save()
    grant_case(case, responsible_unit.group, actor=actor, reason=reason)
    _set_assignees(case, assignees, actor=actor, reason=reason)
    return case


def _set_assignees(case: Case, assignees: list[User], *, actor: User, reason: str) -> None:
    current = {a.user_id: a for a in case.assignments.all()}
    wanted = {u.pk: u for u in assignees}
    for user_id, assignment in current.items():
        if user_id not in wanted:
            revoke_case(case, assignment.user, actor=actor, reason=reason)
            attribute(assignment, user=actor, reason=reason).delete()
    for user_id, user in wanted.items():
        if user_id not in current:
            attribute(CaseAssignment(case=case, user=user), user=actor, reason=reason).save()
            grant_case(case, user, actor=actor, reason=reason)


@transaction.atomic
def update_case(
    *, actor: User, case_id: int, expected_version: int, kind: str, assignees: list[User]
) -> Case:
    case_selectors.get_case_for_user(actor, case_id, write=True)
    case = lock_version(Case, case_id, expected_version)
    case.kind = kind
    bump(case)
    case.full_clean()
    attribute(case, user=actor, reason="case edited").save(update_fields=["kind", "version"])
    _set_assignees(case, assignees, actor=actor, reason="assignees changed")
    return case


@transaction.atomic
def close_case(
    *, actor: User, case_id: int, expected_version: int, outcome: str, closed_on: date
) -> Case:
    case_selectors.get_case_for_user(actor, case_id, write=True)
    case = lock_version(Case, case_id, expected_version)
    if case.status == Case.Status.CLOSED:
        raise ValidationError({"outcome": _("The case is already closed.")})
    if not outcome:
        raise ValidationError({"outcome": _("Choose the outcome of the case.")})
    case.status = Case.Status.CLOSED
    case.outcome = outcome
    case.closed_on = closed_on
    bump(case)
    case.full_clean()
    attribute(case, user=actor, reason="case closed").save(
        update_fields=["status", "outcome", "closed_on", "version"]
    )
    return case


@transaction.atomic
def reopen_case(
    *, actor: User, case_id: int, expected_version: int, reason: str = "case reopened"
) -> Case:
    case_selectors.get_case_for_user(actor, case_id, write=True)
    case = lock_version(Case, case_id, expected_version)
    if case.status != Case.Status.CLOSED:
        raise ValidationError({"case": _("The case is already open.")})
    case.status, case.outcome, case.closed_on = Case.Status.OPEN, "", None
    bump(case)
    case.full_clean()
    attribute(case, user=actor, reason=reason).save(
        update_fields=["status", "outcome", "closed_on", "version"]
    )
    return case
