"""Landlord signals arriving: taken down by staff, sent by a landlord's system (API) or
imported from a CSV batch; each is validated, filed under a district and joined to an
earlier signal it repeats. Triage is in `triage`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.forms import ADDRESS_MAX, NAME_MAX, NOTE_MAX, length_errors
from bokvar.history import attribute, system_user
from bokvar.models import District, User
from bokvar.selectors import roles_of
from cases.core.identity import (
    InvalidPersonalNumber,
    name_index,
    parse_personal_number,
    personal_number_index,
)
from cases.models import Case, Landlord, LandlordSignal
from cases.models.landlord_signals import MISCONDUCT_KINDS, SERIOUS_DISTURBANCE_KINDS

from .. import selectors


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
    landlord_warned_tenant_on: date | None = None
    landlord_notified_board_on: date | None = None
    particularly_serious: bool = False


@dataclass
class MisconductSteps:
    """What the landlord did before terminating for misconduct (12 kap. 25 §, 43 §)."""

    warned: bool | None = None
    warned_on: date | None = None
    notified_board: bool | None = None
    notified_board_on: date | None = None
    particularly_serious: bool = False


def clean_misconduct_steps(
    kind: str, steps: MisconductSteps, *, today: date, errors: dict[str, list[str]]
) -> MisconductSteps:
    """The steps as stored for a signal of `kind`: empty unless the kind is misconduct;
    a date implies the step was taken. Problems go into `errors`, keyed by field."""
    if kind not in MISCONDUCT_KINDS:
        return MisconductSteps()
    warned, notified = steps.warned, steps.notified_board
    for field, flag, on in (
        ("landlord_warned_tenant_on", warned, steps.warned_on),
        ("landlord_notified_board_on", notified, steps.notified_board_on),
    ):
        if on is None:
            continue
        if on > today:
            errors[field] = [_("The date cannot be in the future.")]
        elif flag is False:
            errors[field] = [_("A date is given, but the answer says it was not done.")]
    if steps.warned_on is not None and warned is None:
        warned = True
    if steps.notified_board_on is not None and notified is None:
        notified = True
    serious = bool(steps.particularly_serious)
    if serious and kind not in SERIOUS_DISTURBANCE_KINDS:
        errors["particularly_serious"] = [
            _("Only disturbances can be particularly serious disturbances.")
        ]
    return MisconductSteps(
        warned=warned,
        warned_on=steps.warned_on if warned else None,
        notified_board=notified,
        notified_board_on=steps.notified_board_on if notified else None,
        particularly_serious=serious,
    )


def parse_amount(value: Decimal | str | int | None) -> Decimal | None:
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
    steps = clean_misconduct_steps(
        data.kind,
        MisconductSteps(
            warned=data.landlord_warned_tenant,
            warned_on=data.landlord_warned_tenant_on,
            notified_board=data.landlord_notified_board,
            notified_board_on=data.landlord_notified_board_on,
            particularly_serious=data.particularly_serious,
        ),
        today=today,
        errors=errors,
    )
    errors.update(
        length_errors(
            {
                "name": (data.name.strip(), NAME_MAX),
                "address": (data.address.strip(), ADDRESS_MAX),
                "description": (data.description.strip(), NOTE_MAX),
            }
        )
    )
    if errors:
        raise ValidationError(errors)
    assert data.received_on is not None  # a missing date is among the errors above
    name = data.name.strip()
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
        landlord_warned_tenant=steps.warned,
        landlord_warned_tenant_on=steps.warned_on,
        landlord_notified_board=steps.notified_board,
        landlord_notified_board_on=steps.notified_board_on,
        particularly_serious=steps.particularly_serious,
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


def save_new(
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
    case = (
        Case.objects.select_related("responsible_unit").filter(pk=earlier.case_id).first()
        if earlier.case_id is not None
        else None
    )
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
    return save_new(signal, actor=actor, reason="signal registered", district_id=district_id)


@transaction.atomic
def receive_signal(
    *, landlord: Landlord, data: SignalInput, today: date | None = None
) -> LandlordSignal:
    """A signal from a landlord's own system (API or import): acts as the system user."""
    today = today or timezone.localdate()
    signal = build_signal(landlord, data, today=today)
    return save_new(signal, actor=system_user(), reason="signal received")


def record_first_contact(*, case: Case, contact_on: date, actor: User) -> None:
    """Time from signal to first contact, for every signal of the case still without it."""
    for signal in case.signals.filter(first_contact_days__isnull=True):
        signal.first_contact_days = max((contact_on - signal.received_on).days, 0)
        attribute(signal, user=actor, reason="first contact").save(
            update_fields=["first_contact_days"]
        )


@transaction.atomic
def record_misconduct_steps(
    *, actor: User, signal_id: int, version: int, steps: MisconductSteps, today: date | None = None
) -> LandlordSignal:
    """Record what the landlord did before terminating for misconduct: the warning to
    the tenant (rättelseanmaning, 12 kap. 43 §), the notice to the social welfare board
    (12 kap. 25 §) and whether they claim particularly serious disturbances. Those who
    may triage the signal record it; `version` is the one the form was drawn from."""
    signal = selectors.get_signal_for_user(actor, signal_id, write=True)
    signal = lock_version(LandlordSignal, signal.pk, version)
    if signal.kind not in MISCONDUCT_KINDS:
        raise ValidationError(
            {"__all__": [_("Only signals of disturbance, neighbour complaints or neglect.")]}
        )
    errors: dict[str, list[str]] = {}
    clean = clean_misconduct_steps(
        signal.kind, steps, today=today or timezone.localdate(), errors=errors
    )
    if errors:
        raise ValidationError(errors)
    signal.landlord_warned_tenant = clean.warned
    signal.landlord_warned_tenant_on = clean.warned_on
    signal.landlord_notified_board = clean.notified_board
    signal.landlord_notified_board_on = clean.notified_board_on
    signal.particularly_serious = clean.particularly_serious
    bump(signal)
    attribute(signal, user=actor, reason="landlord's warning and notice recorded").save(
        update_fields=[
            "landlord_warned_tenant",
            "landlord_warned_tenant_on",
            "landlord_notified_board",
            "landlord_notified_board_on",
            "particularly_serious",
            "version",
        ]
    )
    return signal


def misconduct_doubts(signals: list[LandlordSignal], *, terminated_on: date | None) -> list[str]:
    """Why a termination recorded on `terminated_on` may not hold if it is for the
    misconduct the case's `signals` report (jordabalken 12 kap. 42 § first paragraph
    item 6): the landlord must first have told the tenant to put it right (12 kap. 43 §,
    rättelseanmaning; 12 kap. 25 § for disturbances) and notified the social welfare
    board of that warning (12 kap. 25 §), both before terminating, unless the
    disturbances are particularly serious. One sentence per doubt; nothing without a
    termination. No person data: signals are named by number and kind."""
    if terminated_on is None:
        return []
    doubts: list[str] = []
    for signal in sorted(signals, key=lambda s: s.pk):
        if not signal.is_misconduct:
            continue
        which = _("Signal #%(id)s (%(kind)s)") % {
            "id": signal.pk,
            "kind": signal.get_kind_display(),
        }
        if signal.particularly_serious and signal.kind in SERIOUS_DISTURBANCE_KINDS:
            # The claim excuses the warning only. The board's notice is still checked:
            # RH 2004:38 reads 12 kap. 42 § third paragraph as barring a termination for
            # disturbances before the board was notified under 25 § second paragraph, and
            # whether a particularly serious case excuses that notice too was not found in
            # the law texts at hand: the conservative reading flags it for staff to check.
            doubts.append(
                _(
                    "%(signal)s: the landlord claims particularly serious disturbances, so "
                    "no warning was needed (12 kap. 25 §, 43 §); whether they were is for "
                    "the rent tribunal or the court to judge."
                )
                % {"signal": which}
            )
        elif signal.landlord_warned_tenant is not True:
            doubts.append(
                _(
                    "%(signal)s: no warning from the landlord to the tenant to put it right "
                    "is recorded (rättelseanmaning, 12 kap. 43 §)."
                )
                % {"signal": which}
            )
        elif signal.landlord_warned_tenant_on and signal.landlord_warned_tenant_on > terminated_on:
            doubts.append(
                _(
                    "%(signal)s: the landlord warned the tenant on %(warned)s, after the "
                    "termination on %(terminated)s; the warning must come first (12 kap. 43 §)."
                )
                % {
                    "signal": which,
                    "warned": signal.landlord_warned_tenant_on.isoformat(),
                    "terminated": terminated_on.isoformat(),
                }
            )
        if signal.landlord_notified_board is not True:
            doubts.append(
                _(
                    "%(signal)s: no notice from the landlord to the social welfare board is "
                    "recorded (12 kap. 25 §)."
                )
                % {"signal": which}
            )
        elif (
            signal.landlord_notified_board_on and signal.landlord_notified_board_on > terminated_on
        ):
            doubts.append(
                _(
                    "%(signal)s: the social welfare board was notified on %(notified)s, "
                    "after the termination on %(terminated)s (12 kap. 25 §)."
                )
                % {
                    "signal": which,
                    "notified": signal.landlord_notified_board_on.isoformat(),
                    "terminated": terminated_on.isoformat(),
                }
            )
    return doubts


def terminated_on(threat: object) -> date | None:
    """The day the termination reached the tenant: the notice of termination or the
    application for eviction served (12 kap. 8 §), whichever came first."""
    days = [
        d
        for d in (
            getattr(threat, "termination_served_on", None),
            getattr(threat, "application_served_on", None),
        )
        if d is not None
    ]
    return min(days) if days else None
