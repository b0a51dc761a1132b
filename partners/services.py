"""Writes of the partner register, the meeting places and their anonymous tallies: one
transaction each, permission checked, history attributed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, time
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.api_clients import create_client, revoke_clients
from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute, system_user
from bokvar.models import ApiClient, District, Role, User
from bokvar.selectors import roles_of

from . import selectors
from .models import (
    DailyTally,
    MeetingPlace,
    OpeningPeriod,
    Partner,
    PlaceCost,
    PlaceStaff,
)


@dataclass
class PartnerData:
    name: str
    kind: str
    contact_person: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    target_groups: str = ""
    description: str = ""
    agreement_from: date | None = None
    agreement_until: date | None = None
    is_active: bool = True


def _require_register(actor: User, district_id: int) -> None:
    if district_id not in selectors.register_district_ids(actor):
        raise PermissionDenied


def _check_name_free(district_id: int, name: str, exclude: int | None = None) -> None:
    taken = Partner.objects.filter(district_id=district_id, name__iexact=name.strip())
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationError({"name": _("A partner with this name is already registered.")})


@transaction.atomic
def create_partner(*, actor: User, district: District, data: PartnerData) -> Partner:
    """Register a partner; a meeting place gets its meeting-place record at once."""
    _require_register(actor, district.pk)
    _check_name_free(district.pk, data.name)
    partner = Partner(district=district, **{**asdict(data), "name": data.name.strip()})
    partner.full_clean()
    attribute(partner, user=actor, reason="partner registered").save()
    if partner.kind == Partner.Kind.MEETING_PLACE:
        place = MeetingPlace(partner=partner)
        attribute(place, user=actor, reason="meeting place registered").save()
    return partner


@transaction.atomic
def update_partner(
    *, actor: User, partner_id: int, expected_version: int, data: PartnerData
) -> Partner:
    partner = selectors.get_partner_for_user(actor, partner_id)
    partner = lock_version(Partner, partner.pk, expected_version)
    if data.kind != partner.kind and Partner.Kind.MEETING_PLACE in (data.kind, partner.kind):
        # A meeting place's tallies and costs hang on it: it stays a meeting place.
        raise ValidationError({"kind": _("A meeting place cannot change kind, nor become one.")})
    _check_name_free(partner.district_id, data.name, exclude=partner.pk)
    for name, value in asdict(data).items():
        setattr(partner, name, value.strip() if isinstance(value, str) else value)
    bump(partner)
    partner.full_clean()
    attribute(partner, user=actor, reason="partner edited").save()
    return partner


@transaction.atomic
def set_staffing(
    *, actor: User, place_id: int, expected_version: int, staff_fte: Decimal
) -> MeetingPlace:
    selectors.get_meeting_place_for_user(actor, place_id, action="manage")
    place = lock_version(MeetingPlace, place_id, expected_version)
    if staff_fte < 0:
        raise ValidationError({"staff_fte": _("Staffing cannot be negative.")})
    place.staff_fte = staff_fte
    bump(place)
    place.full_clean()
    attribute(place, user=actor, reason="staffing changed").save(
        update_fields=["staff_fte", "version"]
    )
    return place


WEEKDAYS = "1234567"


@transaction.atomic
def add_opening_period(
    *,
    actor: User,
    place_id: int,
    starts_on: date,
    ends_on: date | None,
    weekdays: str,
    opens_at: time,
    closes_at: time,
) -> OpeningPeriod:
    place = selectors.get_meeting_place_for_user(actor, place_id, action="manage")
    if not weekdays or any(d not in WEEKDAYS for d in weekdays):
        raise ValidationError({"weekdays": _("Choose at least one weekday.")})
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("The period cannot end before it starts.")})
    if closes_at <= opens_at:
        raise ValidationError({"closes_at": _("The place must close after it opens.")})
    period = OpeningPeriod(
        place=place,
        starts_on=starts_on,
        ends_on=ends_on,
        weekdays="".join(sorted(set(weekdays))),
        opens_at=opens_at,
        closes_at=closes_at,
    )
    period.full_clean()
    attribute(period, user=actor, reason="opening period added").save()
    return period


@transaction.atomic
def set_cost(*, actor: User, place_id: int, year: int, kind: str, amount: Decimal) -> PlaceCost:
    """The year's budget or cost of one kind; setting it again replaces the amount."""
    place = selectors.get_meeting_place_for_user(actor, place_id, action="manage")
    if amount < 0:
        raise ValidationError({"amount": _("An amount cannot be negative.")})
    if kind not in PlaceCost.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of cost.")})
    cost = PlaceCost.objects.select_for_update().filter(place=place, year=year, kind=kind).first()
    cost = cost or PlaceCost(place=place, year=year, kind=kind)
    cost.amount = amount
    cost.full_clean(validate_unique=False)
    attribute(cost, user=actor, reason="cost set").save()
    return cost


@transaction.atomic
def assign_staff(*, actor: User, place_id: int, user: User) -> PlaceStaff:
    place = selectors.get_meeting_place_for_user(actor, place_id, action="manage")
    if not roles_of(user).has(Role.MEETING_PLACE_STAFF):
        raise ValidationError({"user": _("Only meeting-place staff can be assigned to a place.")})
    existing = PlaceStaff.objects.filter(place=place, user=user).first()
    if existing:
        return existing
    row = PlaceStaff(place=place, user=user)
    attribute(row, user=actor, reason="staff assigned").save()
    return row


@dataclass
class TallyInput:
    """A day's counts. The unknown parts of the breakdowns are what is left of the visits."""

    day: date
    visits: int
    new_visitors: int = 0
    women: int = 0
    men: int = 0
    from_this_district: int = 0
    from_other_district: int = 0
    from_other_municipality: int = 0
    activities: int = 0
    participants: int = 0
    meals: int = 0


def check_tally(data: TallyInput) -> dict[str, int]:
    counts = {k: v for k, v in asdict(data).items() if k != "day"}
    for name, value in counts.items():
        if value is None or value < 0:
            raise ValidationError({name: _("Enter a number of zero or more.")})
    if data.day > timezone.localdate():
        raise ValidationError({"day": _("A day in the future cannot be tallied.")})
    if data.new_visitors > data.visits:
        raise ValidationError(
            {"new_visitors": _("First visits this year cannot be more than the visits.")}
        )
    if data.women + data.men > data.visits:
        raise ValidationError({"women": _("Women and men together exceed the visits.")})
    residence = data.from_this_district + data.from_other_district + data.from_other_municipality
    if residence > data.visits:
        raise ValidationError(
            {"from_this_district": _("The places of residence together exceed the visits.")}
        )
    counts["gender_other_or_unknown"] = data.visits - data.women - data.men
    counts["residence_unknown"] = data.visits - residence
    return counts


@transaction.atomic
def record_tally(
    *,
    actor: User | None,
    place: MeetingPlace,
    data: TallyInput,
    expected_version: int | None = None,
) -> DailyTally:
    """Record or correct one day's tally. A day is tallied once: a correction names the
    version it was based on, so two people entering the same day never overwrite each
    other silently. `actor` None is the place's own system (token; checked by the API)."""
    if actor is not None:
        place = selectors.get_meeting_place_for_user(actor, place.pk, action="tally")
    counts = check_tally(data)
    existing = DailyTally.objects.filter(place=place, day=data.day).first()
    if existing is None:
        if expected_version is not None:
            raise ValidationError({"day": _("This day has no tally to correct.")})
        tally = DailyTally(place=place, day=data.day, recorded_by=actor, **counts)
        reason = "tally recorded"
    else:
        if expected_version is None:
            raise ValidationError(
                {"day": _("This day is already tallied: open it to correct the figures.")}
            )
        tally = lock_version(DailyTally, existing.pk, expected_version)
        for name, value in counts.items():
            setattr(tally, name, value)
        tally.recorded_by = actor
        bump(tally)
        reason = "tally corrected"
    tally.full_clean(validate_unique=False)
    attribute(tally, user=actor or system_user(), reason=reason).save()
    return tally


@transaction.atomic
def create_place_token(*, actor: User, place_id: int) -> str:
    """A key for the place's own system to post its tallies: an API client of kind
    meeting_place (bokvar.api_clients), shown once, stored hashed, with an expiry."""
    place = selectors.get_meeting_place_for_user(actor, place_id, action="manage")
    _client, key = create_client(
        kind=ApiClient.Kind.MEETING_PLACE,
        name=f"Meeting place {place.pk}",
        subject_id=place.pk,
        actor=actor,
    )
    return key


def revoke_place_tokens(*, actor: User, place_id: int) -> int:
    place = selectors.get_meeting_place_for_user(actor, place_id, action="manage")
    return revoke_clients(kind=ApiClient.Kind.MEETING_PLACE, subject_id=place.pk, actor=actor)


def place_of_client(client: ApiClient) -> MeetingPlace | None:
    """The (active) meeting place a meeting-place client speaks for."""
    if client.kind != ApiClient.Kind.MEETING_PLACE or client.subject_id is None:
        return None
    return (
        MeetingPlace.objects.filter(pk=client.subject_id, partner__is_active=True)
        .select_related("partner")
        .first()
    )
