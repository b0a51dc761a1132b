"""Reads about the organisation: which roles a user holds, in which units and districts,
and who works where (the staff of a unit, the coordinators of a district), for one or
many units or districts in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, QuerySet

from .compiled import KeptIdRows
from .models import Membership, Role, User
from .roles import CASE_STAFF


@dataclass(frozen=True)
class Roles:
    """What a user may do, from their memberships. Loaded once per request."""

    roles: frozenset[str] = field(default_factory=frozenset)
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    lead_unit_ids: frozenset[int] = field(default_factory=frozenset)
    district_ids: frozenset[int] = field(default_factory=frozenset)
    # Districts in which the user holds the coordinator role: their scope for cases.
    coordinator_district_ids: frozenset[int] = field(default_factory=frozenset)
    # (role, unit id) of every membership: which role the user holds in which unit.
    unit_roles: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def unit_ids_with(self, *roles: str) -> frozenset[int]:
        """The units in which the user holds one of `roles`."""
        return frozenset(unit for role, unit in self.unit_roles if role in roles)


# The columns of a membership that make a user's roles, in the order `_memberships`
# reads them (and the middleware's device statement, which reads them with the device).
MEMBERSHIP_COLUMNS = ("role", "unit_id", "is_lead", "unit__district_id")


def _memberships(user_ids: list[int]) -> QuerySet[Membership, Any]:
    return Membership.objects.filter(user_id__any=user_ids, unit__is_active=True).values_list(
        *MEMBERSHIP_COLUMNS
    )


# Every signed-in request reads its user's roles: the statement is compiled once, not
# built again on each (issue 22; bokvar/compiled.py).
_MEMBERSHIPS = KeptIdRows(Membership, _memberships)


def roles_of(user: User | AnonymousUser) -> Roles:
    # An API client's principal (bokvar.api.ApiPrincipal) is authenticated but no user:
    # it holds no role, whatever endpoint it reaches.
    if not user.is_authenticated or not isinstance(user, User):
        return Roles()
    cached = getattr(user, "_bokvar_roles", None)
    if isinstance(cached, Roles):
        return cached
    return keep_roles(user, _MEMBERSHIPS.rows([user.pk]))


def keep_roles(user: User, rows: Iterable[tuple[Any, ...]]) -> Roles:
    """The roles of `user` from the rows of their memberships in active units (in
    `MEMBERSHIP_COLUMNS`' order), kept on the user object for the rest of the request:
    read by `roles_of`, or by the middleware with the device that verified the session
    (bokvar.middleware.VerifiedDevice: one round trip fewer on every page, issue 22)."""
    rows = list(rows)
    result = Roles(
        roles=frozenset(role for role, _, _, _ in rows),
        unit_ids=frozenset(unit for _, unit, _, _ in rows),
        lead_unit_ids=frozenset(unit for _, unit, lead, _ in rows if lead),
        district_ids=frozenset(district for _, _, _, district in rows),
        coordinator_district_ids=frozenset(
            district for role, _, _, district in rows if role == Role.COORDINATOR
        ),
        unit_roles=frozenset((role, unit) for role, unit, _, _ in rows),
    )
    user._bokvar_roles = result  # type: ignore[attr-defined]  # a per-request cache on the user object
    return result


def staff_unit_ids(user: User, roles: Iterable[str] = CASE_STAFF) -> set[int]:
    """The active units in which `user` holds one of `roles`."""
    return set(
        Membership.objects.filter(
            user=user, role__in=list(roles), unit__is_active=True
        ).values_list("unit_id", flat=True)
    )


def unit_staff_by_unit(unit_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active case staff (coordinators, guides, caseworkers) of each of these units,
    ordered by id, in one query: {unit id: staff} (a unit without staff is left out)."""
    by_unit: dict[int, dict[int, User]] = {}
    members = (
        User.objects.filter(
            is_active=True,
            memberships__unit_id__in=list(unit_ids),
            memberships__role__in=list(CASE_STAFF),
        )
        .annotate(for_unit=F("memberships__unit_id"))
        .order_by("id")
    )
    for user in members:
        # Several staff roles in one unit make several rows; each person once.
        by_unit.setdefault(user.for_unit, {}).setdefault(user.pk, user)
    return {unit_id: list(users.values()) for unit_id, users in by_unit.items()}


def unit_staff(unit_id: int) -> list[User]:
    return unit_staff_by_unit({unit_id}).get(unit_id, [])


def coordinators_by_district(district_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active coordinators of each of these districts, ordered by id, in one query."""
    by_district: dict[int, dict[int, User]] = {}
    members = (
        User.objects.filter(
            is_active=True,
            memberships__unit__district_id__in=list(district_ids),
            memberships__role=Role.COORDINATOR,
        )
        .annotate(for_district=F("memberships__unit__district_id"))
        .order_by("id")
    )
    for user in members:
        by_district.setdefault(user.for_district, {}).setdefault(user.pk, user)
    return {district: list(users.values()) for district, users in by_district.items()}


def district_coordinators(district_id: int) -> list[User]:
    return coordinators_by_district({district_id}).get(district_id, [])
