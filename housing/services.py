"""Writes for apartments, placements and cost items: one transaction each,
permission checked, history attributed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import User
from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of
from cases.core.selectors import cases as case_selectors
from cases.core.services.access import grant_case
from cases.models import Landlord

from . import selectors
from .models import Apartment, CostCategory, CostItem, Placement, ProgressNote


def _require_coordinator(actor: User, district_id: int) -> None:
    if district_id not in roles_of(actor).coordinator_district_ids:
        raise PermissionDenied


def _placement_guide(actor: User, district_id: int, guide: User | None) -> User | None:
    """Who follows a new placement. DESIGN §2 gives placements to the guide as well as
    to the coordinator: a guide records them on her cases and follows them herself (she
    could not write the training follow-up of a placement another guide follows)."""
    if district_id in roles_of(actor).coordinator_district_ids:
        return guide
    if district_id not in selectors.housing_district_ids(actor):
        raise PermissionDenied
    if guide is not None and guide.pk != actor.pk:
        raise ValidationError({"guide": _("A guide records the placements she follows herself.")})
    return actor


@transaction.atomic
def create_apartment(
    *,
    actor: User,
    district_id: int,
    kind: str,
    reference: str,
    address: str,
    rent: Decimal,
    landlord: Landlord | None = None,
    municipality_first_hand: bool = True,
    status_since: date,
) -> Apartment:
    _require_coordinator(actor, district_id)
    if Apartment.objects.filter(district_id=district_id, reference=reference).exists():
        raise ValidationError(
            {"reference": _("An apartment with this reference is already registered.")}
        )
    apartment = Apartment(
        district_id=district_id,
        kind=kind,
        reference=reference.strip(),
        address=address.strip(),
        rent=rent,
        landlord=landlord,
        municipality_first_hand=municipality_first_hand,
        status_since=status_since,
    )
    apartment.full_clean()
    attribute(apartment, user=actor, reason="apartment registered").save()
    return apartment


@transaction.atomic
def set_apartment_status(
    *, actor: User, apartment_id: int, expected_version: int, status: str, since: date
) -> Apartment:
    """Vacant or being renovated, by hand. Occupied follows from a current placement and
    leaving the stock from a contract takeover, so neither is set here."""
    district_id = Apartment.objects.values_list("district_id", flat=True).get(pk=apartment_id)
    if district_id not in selectors.housing_district_ids(actor):
        raise PermissionDenied
    apartment = lock_version(Apartment, apartment_id, expected_version)
    if status == Apartment.Status.OCCUPIED:
        raise ValidationError(
            {
                "status": _(
                    "An apartment becomes occupied when a placement starts in it: "
                    "start a placement instead."
                )
            }
        )
    if status not in Apartment.SETTABLE_STATUSES:
        raise ValidationError({"status": _("Choose vacant or being renovated.")})
    if not apartment.in_stock:
        raise ValidationError(
            {
                "status": _(
                    "The tenant took over the contract: the apartment has left the "
                    "municipality's stock and its status can no longer be changed."
                )
            }
        )
    if apartment.placements.filter(end_on__isnull=True).exists():
        raise ValidationError(
            {"status": _("The apartment has a current placement: end the placement first.")}
        )
    if since > timezone.localdate():
        raise ValidationError({"since": _("The date cannot be in the future.")})
    last_end = (
        apartment.placements.filter(end_on__isnull=False)
        .order_by("-end_on")
        .values_list("end_on", flat=True)
        .first()
    )
    if last_end is not None and since < last_end:
        raise ValidationError(
            {
                "since": _("The date cannot be before the last placement ended (%(date)s).")
                % {"date": last_end.isoformat()}
            }
        )
    apartment.status, apartment.status_since = status, since
    bump(apartment)
    apartment.full_clean()
    attribute(apartment, user=actor, reason="apartment status").save(
        update_fields=["status", "status_since", "version"]
    )
    return apartment


# A move-in may be planned a little ahead (the flat is kept for the client from then),
# not months ahead: the apartment shows as occupied from the moment it is registered.
MAX_START_AHEAD_DAYS = 31


def _check_start(apartment: Apartment, start_on: date) -> None:
    if start_on > timezone.localdate() + timedelta(days=MAX_START_AHEAD_DAYS):
        raise ValidationError(
            {
                "start_on": _("The move-in date can be at most %(days)s days ahead.")
                % {"days": MAX_START_AHEAD_DAYS}
            }
        )
    # The apartment is vacant, so every earlier placement has ended; the new one must
    # not begin before the last of them did.
    last_end = (
        apartment.placements.filter(end_on__gt=start_on)
        .order_by("-end_on")
        .values_list("end_on", flat=True)
        .first()
    )
    if last_end is not None:
        raise ValidationError(
            {
                "start_on": _(
                    "The move-in date cannot be before the apartment's previous placement "
                    "ended (%(date)s)."
                )
                % {"date": last_end.isoformat()}
            }
        )


@transaction.atomic
def start_placement(
    *,
    actor: User,
    case_id: int,
    apartment_id: int,
    start_on: date,
    guide: User | None,
    monthly_cost: Decimal,
    goals: dict[str, bool],
    plan: str = "",
    contract_type: str = Placement.ContractType.SECOND_HAND,
    agreed_end_on: date | None = None,
) -> Placement:
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if agreed_end_on is not None and agreed_end_on < start_on:
        raise ValidationError({"agreed_end_on": _("The agreed end is before the move-in.")})
    apartment = Apartment.objects.select_for_update().get(pk=apartment_id)
    guide = _placement_guide(actor, apartment.district_id, guide)
    if apartment.status != Apartment.Status.VACANT:
        raise ValidationError({"apartment": _("The apartment is not vacant.")})
    _check_start(apartment, start_on)
    placement = Placement(
        apartment=apartment,
        case=case,
        household_id=case.household_id,
        start_on=start_on,
        guide=guide,
        monthly_cost=monthly_cost,
        plan=plan.strip(),
        contract_type=contract_type,
        agreed_end_on=agreed_end_on,
        goal_running_home=goals.get("running_home", False),
        goal_managing_money=goals.get("managing_money", False),
        goal_social_skills=goals.get("social_skills", False),
    )
    placement.full_clean()
    try:
        with transaction.atomic():
            attribute(placement, user=actor, reason="placement started").save()
    except IntegrityError as exc:
        raise ValidationError(
            {"apartment": _("The apartment already has a current placement.")}
        ) from exc
    apartment.status, apartment.status_since = Apartment.Status.OCCUPIED, start_on
    bump(apartment)
    attribute(apartment, user=actor, reason="placement started").save(
        update_fields=["status", "status_since", "version"]
    )
    if guide is not None:
        grant_case(case, guide, actor=actor, reason="guide of the placement")
    return placement


@transaction.atomic
def end_placement(
    *,
    actor: User,
    placement_id: int,
    expected_version: int,
    end_on: date,
    outcome: str,
    takeover_on: date | None = None,
) -> Placement:
    placement = lock_version(Placement, placement_id, expected_version)
    case_selectors.get_case_for_user(actor, placement.case_id, write=True)
    # Ending a placement changes the apartment's status: the placement's guide and the
    # district's coordinators, who administer the apartments, do it.
    if not may_follow(actor, placement):
        raise PermissionDenied
    if placement.end_on is not None:
        raise ValidationError({"outcome": _("The placement has already ended.")})
    if not outcome:
        raise ValidationError({"outcome": _("Choose how the placement ended.")})
    today = timezone.localdate()
    if end_on < placement.start_on:
        raise ValidationError({"end_on": _("The move-out date cannot be before the move-in date.")})
    if end_on > today:
        # Ending it now would show the flat vacant while the client still lives there.
        raise ValidationError(
            {"end_on": _("The move-out date cannot be in the future: end the placement then.")}
        )
    if outcome == Placement.Outcome.TAKEOVER and takeover_on is None:
        raise ValidationError(
            {"takeover_on": _("Give the date the client took over the contract.")}
        )
    if outcome == Placement.Outcome.TAKEOVER and takeover_on < placement.start_on:
        raise ValidationError(
            {"takeover_on": _("The takeover date cannot be before the move-in date.")}
        )
    if outcome == Placement.Outcome.TAKEOVER and takeover_on > today:
        raise ValidationError({"takeover_on": _("The takeover date cannot be in the future.")})
    placement.end_on, placement.outcome = end_on, outcome
    placement.takeover_on = takeover_on if outcome == Placement.Outcome.TAKEOVER else None
    bump(placement)
    placement.full_clean()
    attribute(placement, user=actor, reason="placement ended").save()
    apartment = Apartment.objects.select_for_update().get(pk=placement.apartment_id)
    if outcome == Placement.Outcome.TAKEOVER:
        # The client holds the first-hand contract now: the flat is their own home and
        # leaves the municipality's stock for good (no vacancy, no cost, no new placement).
        apartment.status, apartment.status_since = Apartment.Status.LEFT_STOCK, takeover_on
        apartment.municipality_first_hand = False
    else:
        apartment.status, apartment.status_since = Apartment.Status.VACANT, end_on
    bump(apartment)
    attribute(apartment, user=actor, reason="placement ended").save(
        update_fields=["status", "status_since", "municipality_first_hand", "version"]
    )
    return placement


def may_follow(actor: User, placement: Placement) -> bool:
    return (
        placement.guide_id == actor.pk
        or placement.case.responsible_unit.district_id in roles_of(actor).coordinator_district_ids
    )


@transaction.atomic
def add_progress_note(*, actor: User, placement_id: int, on: date, note: str) -> ProgressNote:
    placement = Placement.objects.select_related("case__responsible_unit").get(pk=placement_id)
    case_selectors.get_case_for_user(actor, placement.case_id, write=True)
    if not may_follow(actor, placement):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": _("Write the note.")})
    if on > timezone.localdate():
        # A follow-up note records a visit or talk that has happened.
        raise ValidationError({"on": _("This date cannot be in the future.")})
    item = ProgressNote(placement=placement, on=on, author=actor, note=note.strip())
    attribute(item, user=actor, reason="progress note").save()
    return item


@transaction.atomic
def add_cost_item(
    *, actor: User, case_id: int, category: CostCategory, on: date, amount: Decimal, note: str = ""
) -> CostItem:
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if not roles_of(actor).has(*CASE_STAFF):
        raise PermissionDenied
    if amount < 0:
        raise ValidationError({"amount": _("The amount cannot be negative.")})
    item = CostItem(
        case=case, category=category, on=on, amount=amount, note=note.strip(), author=actor
    )
    item.full_clean()
    attribute(item, user=actor, reason="cost item").save()
    return item


@transaction.atomic
def remove_cost_item(*, actor: User, case_id: int, item_id: int) -> None:
    """Remove a cost item entered by mistake; the history keeps it, and who removed it."""
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if not roles_of(actor).has(*CASE_STAFF):
        raise PermissionDenied
    item = CostItem.objects.select_for_update().filter(case=case, pk=item_id).first()
    if item is None:
        raise Http404
    attribute(item, user=actor, reason="cost item removed (entered by mistake)").delete()
