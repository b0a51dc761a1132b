"""Landlord signals: registration (by staff, by a landlord's system, by import) and
triage (link to a case, open a new case, dismiss)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import Unit, User
from cases import selectors as case_selectors
from cases import services as case_services
from cases.identity import InvalidPersonalNumber, parse_personal_number
from cases.models import Case, Landlord, LandlordSignal

from . import selectors


@dataclass
class SignalInput:
    kind: str
    received_on: date | None
    channel: str
    personal_number: str = ""
    name: str = ""
    address: str = ""
    arrears_amount: Decimal | str | None = None
    description: str = ""
    landlord_warned_tenant: bool | None = None
    landlord_notified_board: bool | None = None


def parse_amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(" ", "").replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationError({"arrears_amount": _("Enter the amount as a number.")}) from exc
    if not amount.is_finite():
        raise ValidationError({"arrears_amount": _("Enter the amount as a number.")})
    return amount


def build_signal(landlord: Landlord, data: SignalInput, *, today: date) -> LandlordSignal:
    """Validate the input into an unsaved signal; every problem names its field."""
    errors: dict[str, list[str]] = {}
    if data.kind not in LandlordSignal.Kind.values:
        errors["kind"] = [_("Choose one of the kinds of signal.")]
    if data.channel not in LandlordSignal.Channel.values:
        errors["channel"] = [_("Choose how the signal arrived.")]
    if data.received_on is None:
        errors["received_on"] = [_("Enter the date the signal was received.")]
    elif data.received_on > today:
        errors["received_on"] = [_("The date received cannot be in the future.")]
    canonical = ""
    if data.personal_number.strip():
        try:
            canonical = parse_personal_number(data.personal_number)
        except InvalidPersonalNumber as exc:
            errors["personal_number"] = [str(exc.message)]
    amount = None
    try:
        amount = parse_amount(data.arrears_amount)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if amount is not None and amount < 0:
        errors["arrears_amount"] = [_("The amount cannot be negative.")]
    if not landlord.is_active:
        errors["landlord"] = [_("This landlord is no longer active.")]
    if errors:
        raise ValidationError(errors)
    name = data.name.strip()
    disturbance = data.kind == LandlordSignal.Kind.DISTURBANCE
    signal = LandlordSignal(
        landlord=landlord,
        kind=data.kind,
        channel=data.channel,
        received_on=data.received_on,
        tenant_personal_number=canonical,
        tenant_personal_number_bidx=case_selectors.personal_number_index(canonical)
        if canonical
        else "",
        tenant_name=name,
        tenant_name_bidx=case_selectors.name_index(name) if name else "",
        tenant_address=data.address.strip(),
        arrears_amount=amount,
        description=data.description.strip(),
        landlord_warned_tenant=data.landlord_warned_tenant if disturbance else None,
        landlord_notified_board=data.landlord_notified_board if disturbance else None,
    )
    signal.full_clean(exclude=["case", "triaged_by", "created_by"])
    return signal


def _save_new(signal: LandlordSignal, *, actor: User, today: date, reason: str) -> LandlordSignal:
    signal.created_by = actor
    attribute(signal, user=actor, reason=reason).save()
    repeat = selectors.repeat_case_for(signal, today=today)
    if repeat is not None:
        # The same tenant and landlord again: it belongs to the open case, not the queue.
        signal.case = repeat
        signal.status = LandlordSignal.Status.LINKED
        signal.triaged_at = timezone.now()
        attribute(signal, user=actor, reason="repeat signal linked to open case").save(
            update_fields=["case", "status", "triaged_at"]
        )
    return signal


@transaction.atomic
def register_signal(
    *, actor: User, landlord: Landlord, data: SignalInput, today: date | None = None
) -> LandlordSignal:
    """A signal taken down by staff (phone, letter, e-mail)."""
    if not selectors.may_triage(actor):
        raise PermissionDenied
    today = today or timezone.localdate()
    signal = build_signal(landlord, data, today=today)
    return _save_new(signal, actor=actor, today=today, reason="signal registered")


@transaction.atomic
def receive_signal(
    *, landlord: Landlord, data: SignalInput, today: date | None = None
) -> LandlordSignal:
    """A signal from a landlord's own system (API or import): acts as the system user."""
    from bokvar.history import system_user

    today = today or timezone.localdate()
    signal = build_signal(landlord, data, today=today)
    return _save_new(signal, actor=system_user(), today=today, reason="signal received")


def _triage(signal: LandlordSignal, *, actor: User, status: str, reason: str, **values) -> None:
    signal.status = status
    signal.triaged_at = timezone.now()
    signal.triaged_by = actor
    for key, value in values.items():
        setattr(signal, key, value)
    bump(signal)
    signal.full_clean(exclude=["triaged_by", "created_by"])
    attribute(signal, user=actor, reason=reason).save(
        update_fields=["status", "triaged_at", "triaged_by", "version", *values]
    )


def _lock_untriaged(actor: User, signal_id: int, expected_version: int) -> LandlordSignal:
    selectors.get_signal_for_user(actor, signal_id, write=True)
    signal = lock_version(LandlordSignal, signal_id, expected_version)
    if signal.status != LandlordSignal.Status.UNTRIAGED:
        raise ValidationError({"status": _("This signal has already been triaged.")})
    return signal


@transaction.atomic
def link_signal(
    *, actor: User, signal_id: int, expected_version: int, case_id: int
) -> LandlordSignal:
    signal = _lock_untriaged(actor, signal_id, expected_version)
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if case.status != Case.Status.OPEN:
        raise ValidationError({"case": _("A signal can only be linked to an open case.")})
    _triage(
        signal, actor=actor, status=LandlordSignal.Status.LINKED, reason="signal linked", case=case
    )
    return signal


@transaction.atomic
def open_case_from_signal(
    *,
    actor: User,
    signal_id: int,
    expected_version: int,
    responsible_unit: Unit,
    assignees: list[User],
    given_name: str,
    family_name: str,
    personal_number: str = "",
) -> Case:
    """A new eviction-prevention case for the signal's tenant (cases.services.create_case)."""
    signal = _lock_untriaged(actor, signal_id, expected_version)
    case = case_services.create_case(
        actor=actor,
        kind=Case.Kind.EVICTION_PREVENTION,
        responsible_unit=responsible_unit,
        assignees=assignees,
        people=[
            case_services.PersonData(
                given_name=given_name,
                family_name=family_name,
                personal_number=personal_number or signal.tenant_personal_number,
                address=signal.tenant_address,
            )
        ],
        children_birth_years=[],
        reason="case opened from landlord signal",
    )
    _triage(
        signal, actor=actor, status=LandlordSignal.Status.OPENED, reason="case opened", case=case
    )
    return case


@transaction.atomic
def dismiss_signal(
    *, actor: User, signal_id: int, expected_version: int, reason: str
) -> LandlordSignal:
    signal = _lock_untriaged(actor, signal_id, expected_version)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for dismissing the signal.")})
    _triage(
        signal,
        actor=actor,
        status=LandlordSignal.Status.DISMISSED,
        reason="signal dismissed",
        dismissal_reason=reason.strip(),
    )
    return signal


def record_first_contact(*, case: Case, contact_on: date, actor: User) -> None:
    """Time from signal to first contact, for every signal of the case still without it."""
    for signal in case.signals.filter(first_contact_days__isnull=True):
        signal.first_contact_days = max((contact_on - signal.received_on).days, 0)
        attribute(signal, user=actor, reason="first contact").save(
            update_fields=["first_contact_days"]
        )
