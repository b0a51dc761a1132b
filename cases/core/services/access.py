"""Access to cases and to people with a protected identity: object permissions
(django-guardian's direct-foreign-key rows) granted and revoked with a history row that
names the actor and the reason."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from bokvar.history import attribute, give_reason
from bokvar.models import Unit, User
from bokvar.selectors import roles_of

from ...models import (
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Person,
    PersonUserObjectPermission,
)
from ..selectors import cases as case_selectors
from ..selectors import people as people_selectors
from ..selectors import permissions

CASE_PERMS = ["cases.view_case", "cases.change_case"]
PROTECTED_PERM = "cases.view_protected_person"


GrantModel = (
    type[CaseGroupObjectPermission]
    | type[CaseUserObjectPermission]
    | type[PersonUserObjectPermission]
)


def _permission(obj: Case | Person, codename: str) -> Permission:
    """The permission a grant of `obj` is saved with, read once per process
    (`selectors.permissions`): every grant and revoke looked one up, and guardian's
    save read its content type, two queries a grant, eight for each new case."""
    permission = permissions.permission(codename)
    if permission.content_type != ContentType.objects.get_for_model(obj):
        raise TypeError(f"cases.{codename} is not a permission of {type(obj).__name__}")
    return permission


def _grant_rows(
    perm: str, grantee: User | Group, obj: Case | Person
) -> tuple[GrantModel, dict[str, Any]]:
    """The direct-foreign-key permission rows for (perm, grantee, obj), unsaved filter."""
    app_label, codename = perm.split(".")
    permission = _permission(obj, codename)
    model: GrantModel
    if isinstance(obj, Case):
        model, key = (
            (CaseGroupObjectPermission, "group")
            if isinstance(grantee, Group)
            else (CaseUserObjectPermission, "user")
        )
    elif isinstance(obj, Person) and not isinstance(grantee, Group):
        model, key = PersonUserObjectPermission, "user"
    else:  # pragma: no cover - a programming error, not user input
        raise TypeError(f"no object permission model for {type(obj).__name__}")
    return model, {key: grantee, "permission": permission, "content_object": obj}


def grant_perm(
    perm: str, grantee: User | Group, obj: Case | Person, *, actor: User | None, reason: str
) -> None:
    """Give `grantee` the object permission, with a history row naming actor and reason.
    (guardian's assign_perm leaves the history row without either.) Without an actor
    the request's user is recorded, as simple-history's middleware does."""
    model, values = _grant_rows(perm, grantee, obj)
    if not model._default_manager.filter(**values).exists():
        row = model(**values)
        if actor is None:
            give_reason(row, reason)
        else:
            attribute(row, user=actor, reason=reason)
        row.save()


def revoke_perm(
    perm: str, grantee: User | Group, obj: Case | Person, *, actor: User, reason: str
) -> None:
    """Take the object permission away, one row at a time so that every deletion leaves
    a history row (a bulk delete would not name the actor)."""
    model, values = _grant_rows(perm, grantee, obj)
    for row in model._default_manager.filter(**values):
        attribute(row, user=actor, reason=reason).delete()


def grant_case(case: Case, grantee: User | Group, *, actor: User, reason: str) -> None:
    """Read and write access to the case for a user or a unit's group. For services that
    have already decided the grantee may have it (e.g. the guide of a placement); a user's
    request to let someone in goes through `grant_case_access`."""
    for perm in CASE_PERMS:
        grant_perm(perm, grantee, case, actor=actor, reason=reason)


def revoke_case(case: Case, grantee: User | Group, *, actor: User, reason: str) -> None:
    for perm in CASE_PERMS:
        revoke_perm(perm, grantee, case, actor=actor, reason=reason)


def may_grant(actor: User, case: Case) -> bool:
    roles = roles_of(actor)
    if case.responsible_unit.district_id in roles.coordinator_district_ids:
        return True
    return case.responsible_unit_id in roles.lead_unit_ids


@transaction.atomic
def grant_case_access(
    *, actor: User, case_id: int, user: User | None = None, unit: Unit | None = None
) -> None:
    """Give a user or a unit access to a case (e.g. a colleague in another unit)."""
    case = case_selectors.get_case_for_user(actor, case_id)
    if not may_grant(actor, case):
        raise PermissionDenied
    grantee: User | Group
    if user is not None and unit is None:
        grantee = user
    elif unit is not None and user is None:
        grantee = unit.group
    else:
        raise ValidationError({"grantee": _("Choose either a user or a unit.")})
    grant_case(case, grantee, actor=actor, reason="access granted")


def may_grant_protected(
    actor: User,
    case: Case,
    *,
    may_write: bool | None = None,
    members: list[Person] | None = None,
) -> bool:
    """Whoever may change the case and is granted one of its protected people may let a
    colleague see that person. A page that decided `may_write` and read the household's
    `members` (`people.household_members`, with `granted`) passes them: no query."""
    if may_write is None:
        may_write = case_selectors.can_write_case(actor, case)
    if not may_write:
        return False
    if members is None:
        return people_selectors.grantable_protected_people(actor, case).exists()
    return any(p.is_protected and getattr(p, "granted", False) for p in members)


@transaction.atomic
def grant_protected_person(*, actor: User, case_id: int, person_id: int, user: User | None) -> None:
    """Let a colleague who already has access to the case see one of its protected
    people. Only someone who may change the case and sees the person may do so."""
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    person = Person.objects.filter(household_id=case.household_id, pk=person_id).first()
    if person is None:
        raise ValidationError({"person": _("Choose a person of this household.")})
    if not person.is_protected:
        raise ValidationError({"person": _("This person has no protected identity.")})
    if not people_selectors.may_see_person(actor, person):
        raise PermissionDenied
    if user is None:
        raise ValidationError({"user": _("Choose the colleague who should see the person.")})
    if not user.is_active or not case_selectors.may_see_case(user, case):
        raise ValidationError(
            {"user": _("This colleague has no access to the case; give them access first.")}
        )
    grant_perm(PROTECTED_PERM, user, person, actor=actor, reason="protected person granted")
