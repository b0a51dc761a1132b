"""Writes to the organisation: units with their permission group, and memberships."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .history import attribute, system_user
from .models import District, Membership, Role, Unit, User
from .roles import UNIT_CASE_ROLES


def _unit_group_name(district: District, name: str) -> str:
    return f"unit:{district.code}:{slugify(name)}"[:150]


@transaction.atomic
def create_unit(
    *,
    district: District,
    name: str,
    kind: str,
    email: str = "",
    actor: User | None = None,
    reason: str = "unit created",
) -> Unit:
    """`actor` is whoever creates the unit; commands and seeding act as the system."""
    group, _ = Group.objects.get_or_create(name=_unit_group_name(district, name))
    unit = Unit(district=district, name=name, kind=kind, group=group, email=email)
    unit.full_clean()
    attribute(unit, user=actor or system_user(), reason=reason).save()
    return unit


# Members in UNIT_CASE_ROLES work on the cases granted to their unit (through the unit's
# group). Guides see only the cases assigned to them; steering, auditors and
# administrators see no case through a unit.


def sync_unit_groups(user: User) -> None:
    """Make the user's unit-group membership match their case-working memberships."""
    wanted = set(
        Unit.objects.filter(
            memberships__user=user, memberships__role__in=list(UNIT_CASE_ROLES)
        ).values_list("group_id", flat=True)
    )
    current = set(user.groups.filter(unit__isnull=False).values_list("id", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))


@transaction.atomic
def add_membership(
    *,
    user: User,
    unit: Unit,
    role: Role | str,
    is_lead: bool = False,
    actor: User | None = None,
    reason: str = "membership added",
) -> Membership:
    actor = actor or system_user()
    membership = Membership.objects.filter(user=user, unit=unit, role=role).first()
    if membership is None:
        membership = Membership(user=user, unit=unit, role=role, is_lead=is_lead)
        attribute(membership, user=actor, reason=reason).save()
    elif membership.is_lead != is_lead:
        membership.is_lead = is_lead
        attribute(membership, user=actor, reason="unit lead changed").save(
            update_fields=["is_lead"]
        )
    sync_unit_groups(user)
    return membership


@transaction.atomic
def remove_membership(
    *, membership: Membership, actor: User | None = None, reason: str = "membership removed"
) -> None:
    user = membership.user
    attribute(membership, user=actor or system_user(), reason=reason).delete()
    sync_unit_groups(user)


class GrantRefused(Exception):
    pass


@transaction.atomic
def approve_role_grant(*, grant_id: int, actor: User) -> Membership:
    """A second administrator approves a requested client-data role: never the one who
    asked, never for their own account."""
    from .models import RoleGrant
    from .selectors import roles_of

    grant = RoleGrant.objects.select_for_update().get(pk=grant_id)
    if grant.approved_at is not None:
        raise GrantRefused("already approved")
    if not roles_of(actor).has(Role.ADMINISTRATOR):
        raise GrantRefused("not an administrator")
    if actor.pk in (grant.requested_by_id, grant.user_id):
        raise GrantRefused("needs a second administrator")
    grant.approved_by = actor
    grant.approved_at = timezone.now()
    grant.save(update_fields=["approved_by", "approved_at"])
    return add_membership(
        user=grant.user,
        unit=grant.unit,
        role=grant.role,
        is_lead=grant.is_lead,
        actor=actor,
        reason=f"role request {grant.pk} approved",
    )
