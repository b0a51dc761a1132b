"""Reads about the organisation: which roles a user holds, in which units and districts."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser

from .models import Membership, Role, Unit, User


@dataclass(frozen=True)
class Roles:
    """What a user may do, from their memberships. Loaded once per request."""

    roles: frozenset[str] = field(default_factory=frozenset)
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    lead_unit_ids: frozenset[int] = field(default_factory=frozenset)
    district_ids: frozenset[int] = field(default_factory=frozenset)
    # Districts in which the user holds the coordinator role: their scope for cases.
    coordinator_district_ids: frozenset[int] = field(default_factory=frozenset)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def roles_of(user: User | AnonymousUser) -> Roles:
    if not user.is_authenticated:
        return Roles()
    cached = getattr(user, "_bokvar_roles", None)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.filter(user=user, unit__is_active=True).values_list(
            "role", "unit_id", "is_lead", "unit__district_id"
        )
    )
    result = Roles(
        roles=frozenset(role for role, _, _, _ in rows),
        unit_ids=frozenset(unit for _, unit, _, _ in rows),
        lead_unit_ids=frozenset(unit for _, unit, lead, _ in rows if lead),
        district_ids=frozenset(district for _, _, _, district in rows),
        coordinator_district_ids=frozenset(
            district for role, _, _, district in rows if role == Role.COORDINATOR
        ),
    )
    user._bokvar_roles = result
    return result


def units_of(user: User) -> list[Unit]:
    return list(Unit.objects.filter(memberships__user=user).distinct().order_by("name"))
