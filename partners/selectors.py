"""Reads of the partner register and the meeting places, scoped to the reader.

- Coordinators and administrators read and keep the register of their districts.
- Meeting-place staff (skötare) read only the places they are assigned to, and of those
  only the place, its opening hours, costs and anonymous tallies.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from bokvar.models import Membership, Role, User
from bokvar.roles import PARTNER_REGISTER
from bokvar.selectors import roles_of

from .models import MeetingPlace, Partner


def register_district_ids(user: User) -> set[int]:
    """The districts whose register `user` keeps (coordinator or administrator there)."""
    if not roles_of(user).has(*PARTNER_REGISTER):
        return set()
    return set(
        Membership.objects.filter(
            user=user, role__in=list(PARTNER_REGISTER), unit__is_active=True
        ).values_list("unit__district_id", flat=True)
    )


def partners_for(user: User) -> QuerySet[Partner]:
    return Partner.objects.filter(district_id__in=register_district_ids(user))


def get_partner_for_user(user: User, partner_id: int) -> Partner:
    """404 unless the partner is in a register the user keeps (who may read it may edit)."""
    partner = partners_for(user).filter(pk=partner_id).first()
    if partner is None:
        raise Http404
    return partner


def places_for(user: User) -> QuerySet[MeetingPlace]:
    roles = roles_of(user)
    condition = Q(pk__in=[])
    if roles.has(*PARTNER_REGISTER):
        condition |= Q(partner__district_id__in=register_district_ids(user))
    if roles.has(Role.MEETING_PLACE_STAFF):
        condition |= Q(staff__user=user)
    return MeetingPlace.objects.filter(condition).select_related("partner").distinct()


def may_tally(user: User, place: MeetingPlace) -> bool:
    """Staff assigned to the place, and the coordinators of its district, enter tallies."""
    roles = roles_of(user)
    if roles.has(Role.MEETING_PLACE_STAFF) and place.staff.filter(user=user).exists():
        return True
    return place.partner.district_id in roles.coordinator_district_ids


def may_manage(user: User, place: MeetingPlace) -> bool:
    """The register's keepers change the place itself: hours, staffing, costs, tokens."""
    return place.partner.district_id in register_district_ids(user)


def get_meeting_place_for_user(user: User, place_id: int, *, action: str = "read") -> MeetingPlace:
    """The one way in to a meeting place: 404 where the user may not know it, 403 where
    they may read it but not do `action` ("tally" or "manage")."""
    place = places_for(user).filter(pk=place_id).first()
    if place is None:
        raise Http404
    if action == "tally" and not may_tally(user, place):
        raise PermissionDenied
    if action == "manage" and not may_manage(user, place):
        raise PermissionDenied
    return place
