"""A returning household: a new case for people who are already registered.

Identity numbers are unique, so someone whose earlier case is closed cannot be
registered again through the new-case form; their household gets a new case instead.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bokvar.models import Role, Unit, User
from bokvar.selectors import roles_of

from . import selectors
from .models import Case, Household, Person, ProtectedIdentity
from .services import (
    PROTECTED_PERM,
    _household_touched,
    grant_perm,
    may_create_case_for,
    open_case_row,
)

CREATE_ROLES = (Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER)


def may_open_new_case(user: User, case: Case) -> bool:
    """Whether a case page offers a new case for its household: the case is closed, the
    household has no open case, and the user is one who creates cases."""
    return (
        case.status == case.Status.CLOSED
        and roles_of(user).has(*CREATE_ROLES)
        and selectors.open_case_of_household(case.household_id) is None
    )


@transaction.atomic
def open_case_for_household(
    *,
    actor: User,
    household_id: int,
    kind: str,
    responsible_unit: Unit,
    assignees: list[User],
    opened_on: date | None = None,
    reason: str = "new case for a returning household",
) -> Case:
    """A new case for a household none of whose cases is open. The actor must see one of
    the household's earlier cases (404 otherwise: they may not know it exists) and may
    create cases for the responsible unit (coordinators of the district may)."""
    selectors.get_household_case_for_user(actor, household_id)
    if not may_create_case_for(actor, responsible_unit):
        raise PermissionDenied
    # Locking the household makes two people opening a case at once take turns, so the
    # second finds the first one's open case instead of opening another.
    household = Household.objects.select_for_update().get(pk=household_id)
    if Case.objects.filter(household=household, status=Case.Status.OPEN).exists():
        raise ValidationError({"household": _("This household already has an open case.")})
    case = open_case_row(
        household=household,
        kind=kind,
        responsible_unit=responsible_unit,
        assignees=assignees,
        opened_on=opened_on,
        actor=actor,
        reason=reason,
    )
    _household_touched(household, actor=actor, reason=reason)
    # The actor may pass on sight of the protected people they see themselves, as when
    # a case is created; people hidden from the actor stay hidden from the new staff.
    protected = Person.objects.filter(household=household).exclude(
        protected_identity=ProtectedIdentity.NONE
    )
    for person in protected:
        if selectors.may_see_person(actor, person):
            for user in assignees:
                grant_perm(PROTECTED_PERM, user, person, actor=actor, reason=reason)
    return case
