"""Triage of landlord signals: a coordinator links a signal to a case (reopening a closed
one), opens a new case for its tenant, or dismisses it; repeats follow the signal they
repeat. A tenant registered out of the coordinator's sight is forwarded, never shown."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import Unit, User
from bokvar.notifications import notify
from bokvar.selectors import district_coordinators
from cases.core.identity import (
    InvalidPersonalNumber,
    parse_personal_number,
    personal_number_index,
    personal_number_indexes,
)
from cases.core.selectors import cases as case_selectors
from cases.core.services import cases as case_services
from cases.core.services.people import PersonData, check_birth_year
from cases.models import Case, LandlordSignal, Person

from .. import selectors
from .landlord_signals import coordinated_district


def _triage(
    signal: LandlordSignal, *, actor: User, status: str, reason: str, **values: Any
) -> None:
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
    """A new eviction-prevention case for the signal's tenant (`create_case` of the core).

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
        # Refuse first what would be refused for a number nobody holds, so that the
        # forward below is the only difference, and the user cannot see it (issue 16).
        if not case_services.may_create_case_for(actor, responsible_unit):
            raise PermissionDenied
        for year in children_birth_years or []:
            check_birth_year(year, "children")
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
    # Every configured blind-index key: found while the keys rotate too.
    return Person.objects.filter(
        personal_number_bidx__in=personal_number_indexes(canonical)
    ).first()


def _forward(signal: LandlordSignal, *, person: Person, personal_number: str, actor: User) -> None:
    district_id = selectors.district_of_person(person) or signal.district_id
    changed = ["district", "version"]
    signal.district_id = district_id
    if person.is_protected:
        # Theirs from now on: it leaves the queue of everyone not granted the person.
        signal.routed_at = timezone.now()
        changed.append("routed_at")
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
    # A protected person's signal goes only to those granted the person (who may triage
    # it); to the actor it looks the same as a signal forwarded to another district.
    recipients = (
        selectors.protected_signal_contacts(signal)
        if person.is_protected
        else district_coordinators(district_id)
    )
    notify(
        recipients=[u for u in recipients if u.pk != actor.pk],
        kind="signal_forwarded",
        dedupe_key=f"signal:{signal.pk}:forwarded:{district_id}",
        subject=lambda: _("A landlord signal was forwarded to your district"),
        body=lambda: _("The tenant is known in your district. Triage the signal."),
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


def route_protected_signal(*, actor: User, signal_id: int) -> list[User]:
    """A signal naming a person with protected identity goes to those granted the person
    who may triage it; the actor, not granted, learns their names and nothing of the
    person. Returns whom it reached (none: nobody granted may triage it). Logged as a
    notification to each, once per signal."""
    signal = selectors.get_signal_for_user(actor, signal_id)
    recipients = [u for u in selectors.protected_signal_contacts(signal) if u.pk != actor.pk]
    notify(
        recipients=recipients,
        kind="signal_routed",
        dedupe_key=f"signal:{signal.pk}:routed",
        subject=lambda: _("A landlord signal about a person with protected identity needs you"),
        body=lambda: _("Only those who may see the person can triage it."),
        url=reverse("cases:signal", kwargs={"signal_id": signal.pk}),
    )
    return recipients
