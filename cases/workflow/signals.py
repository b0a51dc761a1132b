"""Landlord signals: registration (by staff, by a landlord's system, by import) and
triage (link to a case, open a new case, dismiss)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import District, Unit, User
from bokvar.selectors import roles_of
from cases.core.identity import (
    InvalidPersonalNumber,
    name_index,
    parse_personal_number,
    personal_number_index,
)
from cases.core.selectors import cases as case_selectors
from cases.core.services import cases as case_services
from cases.core.services.people import PersonData
from cases.models import Case, Landlord, LandlordSignal, Person

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
        tenant_personal_number_bidx=personal_number_index(canonical) if canonical else "",
        tenant_name=name,
        tenant_name_bidx=name_index(name) if name else "",
        tenant_address=data.address.strip(),
        arrears_amount=amount,
        description=data.description.strip(),
        landlord_warned_tenant=data.landlord_warned_tenant if disturbance else None,
        landlord_notified_board=data.landlord_notified_board if disturbance else None,
    )
    signal.full_clean(exclude=["case", "triaged_by", "created_by"])
    return signal


def district_for(signal: LandlordSignal) -> int | None:
    """The district a newly arrived signal belongs to, from what is known of it.

    A tenant with open cases in one district belongs to that district's team, whoever
    the landlord is: their coordinator sees the case to link the signal to (a landlord
    of one district may own a flat elsewhere, or the tenant's case may have moved).
    Otherwise a landlord registered with one district sends that district's signals.
    Otherwise nobody knows yet: the signal waits without a district and triage gives it
    one."""
    tenant = selectors.district_of_tenant(signal)
    if tenant is not None:
        return tenant
    landlord_districts = set(signal.landlord.districts.values_list("pk", flat=True))
    if len(landlord_districts) == 1:
        return landlord_districts.pop()
    return None


def coordinated_district(actor: User, district: District | None) -> int | None:
    """The district a coordinator files a signal under: the one they chose (it must be
    one they coordinate), else the only one they coordinate."""
    ids = roles_of(actor).coordinator_district_ids
    if district is not None:
        if district.pk not in ids:
            raise ValidationError({"district": _("Choose one of the districts you coordinate.")})
        return district.pk
    return next(iter(ids)) if len(ids) == 1 else None


def _save_new(
    signal: LandlordSignal,
    *,
    actor: User,
    reason: str,
    district_id: int | None = None,
    fallback_district_id: int | None = None,
) -> LandlordSignal:
    # Arrivals from one landlord take turns, so two signals for the same tenant arriving
    # at once cannot both miss each other and wait in the queue as duplicates.
    Landlord.objects.select_for_update().filter(pk=signal.landlord_id).first()
    signal.created_by = actor
    signal.district_id = district_id or district_for(signal) or fallback_district_id
    attribute(signal, user=actor, reason=reason).save()
    earlier = selectors.repeated_signal(signal)
    if earlier is None:
        return signal
    if earlier.status == LandlordSignal.Status.UNTRIAGED:
        # Lock the first signal so it cannot be triaged without this one following it.
        earlier = LandlordSignal.objects.select_for_update().get(pk=earlier.pk)
    if earlier.status == LandlordSignal.Status.UNTRIAGED:
        signal.repeat_of = earlier
        signal.district_id = signal.district_id or earlier.district_id
        attribute(signal, user=actor, reason="repeat of a signal waiting for triage").save(
            update_fields=["repeat_of", "district"]
        )
        return signal
    case = Case.objects.select_related("responsible_unit").filter(pk=earlier.case_id).first()
    if case is not None and case.status == Case.Status.OPEN:
        # The same tenant and landlord again: it belongs to the open case, not the queue.
        signal.case = case
        signal.district_id = case.responsible_unit.district_id
        signal.status = LandlordSignal.Status.LINKED
        signal.triaged_at = timezone.now()
        attribute(signal, user=actor, reason="repeat signal linked to open case").save(
            update_fields=["case", "district", "status", "triaged_at"]
        )
    return signal


@transaction.atomic
def register_signal(
    *,
    actor: User,
    landlord: Landlord,
    data: SignalInput,
    district: District | None = None,
    today: date | None = None,
) -> LandlordSignal:
    """A signal taken down by staff (phone, letter, e-mail): filed under the district the
    coordinator chose, or the only one they coordinate."""
    if not selectors.may_triage(actor):
        raise PermissionDenied
    today = today or timezone.localdate()
    signal = build_signal(landlord, data, today=today)
    district_id = coordinated_district(actor, district)
    return _save_new(signal, actor=actor, reason="signal registered", district_id=district_id)


@transaction.atomic
def receive_signal(
    *, landlord: Landlord, data: SignalInput, today: date | None = None
) -> LandlordSignal:
    """A signal from a landlord's own system (API or import): acts as the system user."""
    from bokvar.history import system_user

    today = today or timezone.localdate()
    signal = build_signal(landlord, data, today=today)
    return _save_new(signal, actor=system_user(), reason="signal received")


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
    _triage_repeats(signal, actor=actor)


def _triage_repeats(signal: LandlordSignal, *, actor: User) -> None:
    """Repeats follow the signal they repeat: linked to its case, or dismissed with it."""
    repeats = LandlordSignal.objects.select_for_update().filter(
        repeat_of=signal, status=LandlordSignal.Status.UNTRIAGED
    )
    for repeat in repeats:
        repeat.status = (
            LandlordSignal.Status.LINKED if signal.case_id else LandlordSignal.Status.DISMISSED
        )
        repeat.case_id = signal.case_id
        repeat.district_id = signal.district_id or repeat.district_id
        repeat.dismissal_reason = signal.dismissal_reason
        repeat.triaged_at = signal.triaged_at
        repeat.triaged_by = actor
        bump(repeat)
        attribute(repeat, user=actor, reason="triaged with the signal it repeats").save(
            update_fields=[
                "status",
                "case",
                "district",
                "dismissal_reason",
                "triaged_at",
                "triaged_by",
                "version",
            ]
        )


def _lock_untriaged(actor: User, signal_id: int, expected_version: int) -> LandlordSignal:
    selectors.get_signal_for_user(actor, signal_id, write=True)
    signal = lock_version(LandlordSignal, signal_id, expected_version)
    if signal.status != LandlordSignal.Status.UNTRIAGED:
        raise ValidationError({"status": _("This signal has already been triaged.")})
    if (
        signal.repeat_of_id
        and LandlordSignal.objects.filter(
            pk=signal.repeat_of_id, status=LandlordSignal.Status.UNTRIAGED
        ).exists()
    ):
        raise ValidationError(
            {"status": _("This signal repeats an earlier one: triage that one, and this follows.")}
        )
    return signal


@transaction.atomic
def link_signal(
    *, actor: User, signal_id: int, expected_version: int, case_id: int
) -> LandlordSignal:
    signal = _lock_untriaged(actor, signal_id, expected_version)
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if case.status != Case.Status.OPEN:
        raise ValidationError(
            {"case": _("A signal can only be linked to an open case. Reopen the case first.")}
        )
    _triage(
        signal,
        actor=actor,
        status=LandlordSignal.Status.LINKED,
        reason="signal linked",
        case=case,
        district_id=case.responsible_unit.district_id,
    )
    return signal


@transaction.atomic
def reopen_case_for_signal(
    *, actor: User, signal_id: int, expected_version: int, case_id: int, case_version: int
) -> Case:
    """The tenant is known but their case was closed: reopen it and link the signal."""
    signal = _lock_untriaged(actor, signal_id, expected_version)
    case = case_services.reopen_case(
        actor=actor,
        case_id=case_id,
        expected_version=case_version,
        reason="case reopened from landlord signal",
    )
    _triage(
        signal,
        actor=actor,
        status=LandlordSignal.Status.LINKED,
        reason="signal linked to reopened case",
        case=case,
        district_id=case.responsible_unit.district_id,
    )
    return case


class SignalForwarded(Exception):
    """The tenant is registered where the user may not see them: the signal has been
    handed (committed) to the district responsible for them, and the user learns only
    that it was forwarded, nothing about the person."""


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
    children_birth_years: list[int] | None = None,
) -> Case:
    """A new eviction-prevention case for the signal's tenant (cases.services.create_case).

    Raises SignalForwarded (after committing the forward) when the tenant is already
    registered out of the user's sight."""
    case = _open_case_or_forward(
        actor=actor,
        signal_id=signal_id,
        expected_version=expected_version,
        responsible_unit=responsible_unit,
        assignees=assignees,
        given_name=given_name,
        family_name=family_name,
        personal_number=personal_number,
        children_birth_years=children_birth_years,
    )
    if case is None:
        raise SignalForwarded
    return case


@transaction.atomic
def _open_case_or_forward(
    *,
    actor: User,
    signal_id: int,
    expected_version: int,
    responsible_unit: Unit,
    assignees: list[User],
    given_name: str,
    family_name: str,
    personal_number: str,
    children_birth_years: list[int] | None,
) -> Case | None:
    signal = _lock_untriaged(actor, signal_id, expected_version)
    personal_number = personal_number or signal.tenant_personal_number
    known = _registered_person(personal_number)
    if known is not None and selectors.person_visible_to(actor, known):
        raise ValidationError(
            {
                "personal_number": _(
                    "A person with this identity number is already registered. Link the "
                    "signal to their case instead; a closed case can be reopened."
                )
            }
        )
    if known is not None:
        # Out of this user's sight (another district's case, or a protected identity):
        # saying so would tell them the person exists. The signal goes to whoever is
        # responsible for the person, with the number, so their triage suggests the case.
        _forward(signal, person=known, personal_number=personal_number, actor=actor)
        return None
    case = case_services.create_case(
        actor=actor,
        kind=Case.Kind.EVICTION_PREVENTION,
        responsible_unit=responsible_unit,
        assignees=assignees,
        people=[
            PersonData(
                given_name=given_name,
                family_name=family_name,
                personal_number=personal_number,
                address=signal.tenant_address,
            )
        ],
        children_birth_years=list(children_birth_years or []),
        reason="case opened from landlord signal",
    )
    _triage(
        signal,
        actor=actor,
        status=LandlordSignal.Status.OPENED,
        reason="case opened",
        case=case,
        district_id=responsible_unit.district_id,
    )
    return case


def _registered_person(personal_number: str) -> Person | None:
    if not personal_number:
        return None
    try:
        canonical = parse_personal_number(personal_number)
    except InvalidPersonalNumber:
        return None  # create_case reports the invalid number on its field
    index = personal_number_index(canonical)
    return Person.objects.filter(personal_number_bidx=index).first()


def _forward(signal: LandlordSignal, *, person: Person, personal_number: str, actor: User) -> None:
    from bokvar.notifications import notify

    district_id = selectors.district_of_person(person) or signal.district_id
    changed = ["district", "version"]
    signal.district_id = district_id
    if not signal.tenant_personal_number:
        canonical = parse_personal_number(personal_number)
        signal.tenant_personal_number = canonical
        signal.tenant_personal_number_bidx = personal_number_index(canonical)
        changed += ["tenant_personal_number", "tenant_personal_number_bidx"]
    bump(signal)
    attribute(signal, user=actor, reason="signal forwarded to the responsible district").save(
        update_fields=changed
    )
    if district_id is None:
        return
    notify(
        recipients=[u for u in selectors.district_coordinators(district_id) if u.pk != actor.pk],
        kind="signal_forwarded",
        dedupe_key=f"signal:{signal.pk}:forwarded:{district_id}",
        subject=_("A landlord signal was forwarded to your district"),
        body=_("The tenant is known in your district. Triage the signal."),
        url=reverse("cases:signal", kwargs={"signal_id": signal.pk}),
    )


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
        # A signal nobody had placed becomes the dismissing coordinator's, if that is clear.
        district_id=signal.district_id or coordinated_district(actor, None),
    )
    return signal


def record_first_contact(*, case: Case, contact_on: date, actor: User) -> None:
    """Time from signal to first contact, for every signal of the case still without it."""
    for signal in case.signals.filter(first_contact_days__isnull=True):
        signal.first_contact_days = max((contact_on - signal.received_on).days, 0)
        attribute(signal, user=actor, reason="first contact").save(
            update_fields=["first_contact_days"]
        )
