"""Households: their children (by birth year only), and a new case for a returning
household.

Identity numbers are unique, so someone whose earlier case is closed cannot be
registered again through the new-case form; their household gets a new case instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import Unit, User
from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of

from ...models import Case, Household, HouseholdChild, Person, ProtectedIdentity
from ..selectors import cases as case_selectors
from ..selectors import people as people_selectors
from .access import PROTECTED_PERM, grant_perm
from .cases import may_create_case_for, open_case_row
from .people import check_birth_year

# --- When a household gains a child -----------------------------------------------------
# A registry, and the only one in the core: evictions sits above the core and must act at
# once when a household gains a child (a close eviction date is flagged to the district's
# coordinators), but the core may not import evictions. Evictions adds its function here
# from CasesConfig.ready(); the core calls every one after adding a child.
_on_child_added: list[Callable[[Household], None]] = []


def on_child_added(follow_up: Callable[[Household], None]) -> None:
    """Call `follow_up(household)` after a child is added to a household (same transaction)."""
    if follow_up not in _on_child_added:
        _on_child_added.append(follow_up)


def household_touched(household: Household, *, actor: User, reason: str) -> None:
    """Every change to a household's children (or cases) moves its version, so two people
    editing at once cannot both save unseen."""
    bump(household)
    attribute(household, user=actor, reason=reason).save(update_fields=["version"])


@transaction.atomic
def add_household_child(
    *, actor: User, case_id: int, expected_version: int, birth_year: int | None
) -> HouseholdChild:
    """A child of the case's household, by birth year only (no other detail is kept)."""
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    household = lock_version(Household, case.household_id, expected_version)
    child = HouseholdChild(
        household=household, birth_year=check_birth_year(birth_year, "birth_year")
    )
    child.full_clean()
    attribute(child, user=actor, reason="child added").save()
    household_touched(household, actor=actor, reason="child added")
    for follow_up in _on_child_added:
        follow_up(household)
    return child


@transaction.atomic
def remove_household_child(
    *, actor: User, case_id: int, child_id: int, expected_version: int
) -> None:
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    child = HouseholdChild.objects.filter(household_id=case.household_id, pk=child_id).first()
    if child is None:
        raise Http404
    household = lock_version(Household, case.household_id, expected_version)
    attribute(child, user=actor, reason="child removed").delete()
    household_touched(household, actor=actor, reason="child removed")


# --- A returning household --------------------------------------------------------------


def may_open_new_case(user: User, case: Case) -> bool:
    """Whether a case page offers a new case for its household: the case is closed, the
    household has no open case, and the user is one who creates cases."""
    return (
        case.status == case.Status.CLOSED
        and roles_of(user).has(*CASE_STAFF)
        and case_selectors.open_case_of_household(case.household_id) is None
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
    case_selectors.get_household_case_for_user(actor, household_id)
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
    household_touched(household, actor=actor, reason=reason)
    # The actor may pass on sight of the protected people they see themselves, as when
    # a case is created; people hidden from the actor stay hidden from the new staff.
    protected = Person.objects.filter(household=household).exclude(
        protected_identity=ProtectedIdentity.NONE
    )
    for person in protected:
        if people_selectors.may_see_person(actor, person):
            for user in assignees:
                grant_perm(PROTECTED_PERM, user, person, actor=actor, reason=reason)
    return case
