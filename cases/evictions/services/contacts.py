"""Contacts and interventions on a case, with a follow-up agreed at a contact."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import User
from cases.core.selectors import cases as case_selectors
from cases.models import Contact, Intervention

from .deadlines import add_follow_up
from .landlord_signals import record_first_contact


def _check_date(value: date | None, *, today: date, field: str = "on") -> None:
    if value is None:
        raise ValidationError({field: _("Enter the date.")})
    if value > today:
        raise ValidationError({field: _("This date cannot be in the future.")})


@transaction.atomic
def record_contact(
    *,
    actor: User,
    case_id: int,
    kind: str,
    on: date,
    reached: bool,
    note: str = "",
    follow_up_on: date | None = None,
    today: date | None = None,
) -> Contact:
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    today = today or timezone.localdate()
    _check_date(on, today=today)
    if follow_up_on is not None and follow_up_on < on:
        raise ValidationError({"follow_up_on": _("A follow-up cannot be before the contact.")})
    contact = Contact(case=case, kind=kind, on=on, reached=reached, author=actor, note=note.strip())
    contact.full_clean()
    attribute(contact, user=actor, reason="contact recorded").save()
    if reached:
        record_first_contact(case=case, contact_on=on, actor=actor)
    if follow_up_on is not None:
        add_follow_up(actor=actor, case=case, due_on=follow_up_on, note=note)
    return contact


def _check_intervention(*, status: str, on: date, outcome: str, today: date) -> None:
    # A planned intervention may lie ahead; one that has started or ended has happened.
    if status != Intervention.Status.PLANNED:
        _check_date(on, today=today)
    if status in (Intervention.Status.DONE, Intervention.Status.CANCELLED) and not outcome:
        raise ValidationError({"outcome": _("Say what came of it.")})


@transaction.atomic
def record_intervention(
    *,
    actor: User,
    case_id: int,
    kind: str,
    on: date,
    status: str = Intervention.Status.ONGOING,
    note: str = "",
    outcome: str = "",
    today: date | None = None,
) -> Intervention:
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if kind == Intervention.Kind.PARTNER_REFERRAL:
        # Kept readable on the interventions recorded before; new ones are referrals.
        raise ValidationError(
            {"kind": _("Record a referral to a partner as a referral, on the case page.")}
        )
    if on is None:
        raise ValidationError({"on": _("Enter the date.")})
    _check_intervention(
        status=status, on=on, outcome=outcome.strip(), today=today or timezone.localdate()
    )
    intervention = Intervention(
        case=case,
        kind=kind,
        on=on,
        status=status,
        author=actor,
        note=note.strip(),
        outcome=outcome.strip(),
    )
    intervention.full_clean()
    attribute(intervention, user=actor, reason="intervention recorded").save()
    return intervention


@transaction.atomic
def update_intervention(
    *,
    actor: User,
    case_id: int,
    intervention_id: int,
    expected_version: int,
    status: str,
    on: date,
    outcome: str = "",
    today: date | None = None,
) -> Intervention:
    """Move an intervention on (planned, ongoing, done, cancelled) and say what came of it;
    refused when someone else saved it since the form was opened."""
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    if not Intervention.objects.filter(pk=intervention_id, case=case).exists():
        raise Http404
    intervention = lock_version(Intervention, intervention_id, expected_version)
    _check_intervention(
        status=status, on=on, outcome=outcome.strip(), today=today or timezone.localdate()
    )
    intervention.status, intervention.on, intervention.outcome = status, on, outcome.strip()
    intervention.full_clean()
    bump(intervention)
    attribute(intervention, user=actor, reason="intervention updated").save(
        update_fields=["status", "on", "outcome", "version"]
    )
    return intervention
