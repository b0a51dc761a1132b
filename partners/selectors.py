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
from bokvar.selectors import roles_of, staff_unit_ids

from .models import MeetingPlace, Partner, Survey


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


# Surveys (issue 20, point 6). Owners build the survey, hand out its codes, type in paper
# answers and read its free text: the coordinators of a team for the team's surveys, the
# staff of a meeting place (and its district's coordinators) for the place's. The
# steering group of the district reads the results, suppressed, without free text.


def survey_unit_ids(user: User) -> set[int]:
    """The teams whose surveys `user` owns: those they coordinate."""
    return staff_unit_ids(user, (Role.COORDINATOR,))


def survey_place_ids(user: User) -> set[int]:
    """The meeting places whose surveys `user` owns: those they may tally."""
    roles = roles_of(user)
    condition = Q(pk__in=[])
    if roles.has(Role.MEETING_PLACE_STAFF):
        condition |= Q(staff__user=user)
    if roles.coordinator_district_ids:
        condition |= Q(partner__district_id__in=roles.coordinator_district_ids)
    return set(MeetingPlace.objects.filter(condition).values_list("pk", flat=True))


def steering_district_ids(user: User) -> set[int]:
    if not roles_of(user).has(Role.STEERING):
        return set()
    return set(
        Membership.objects.filter(user=user, role=Role.STEERING, unit__is_active=True).values_list(
            "unit__district_id", flat=True
        )
    )


def owned_surveys(user: User) -> QuerySet[Survey]:
    return Survey.objects.filter(
        Q(unit_id__in=survey_unit_ids(user)) | Q(place_id__in=survey_place_ids(user))
    )


def surveys_for(user: User) -> QuerySet[Survey]:
    """Every survey `user` may know: their own, and (steering group) the results of the
    surveys of their districts once they are no longer drafts."""
    districts = steering_district_ids(user)
    steering = Q(unit__district_id__in=districts) | Q(place__partner__district_id__in=districts)
    return Survey.objects.filter(
        Q(unit_id__in=survey_unit_ids(user))
        | Q(place_id__in=survey_place_ids(user))
        | (steering & ~Q(status=Survey.Status.DRAFT))
    ).select_related("unit", "place__partner")


def may_own_survey(user: User, survey: Survey) -> bool:
    if survey.unit_id is not None:
        return survey.unit_id in survey_unit_ids(user)
    return survey.place_id in survey_place_ids(user)


def get_survey_for_user(user: User, survey_id: int, *, action: str = "read") -> Survey:
    """The one way in to a survey: 404 where the user may not know it; 403 where they
    may read its results but not `action` "manage" (build it, hand out codes, type in
    paper answers, read free text): only its owners may."""
    survey = surveys_for(user).filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    if action == "manage" and not may_own_survey(user, survey):
        raise PermissionDenied
    return survey
