"""Writes of referrals: one transaction each, the case's write access and a case-staff
role checked, history attributed, edits under optimistic locking.

The steps: proposed → sent → accepted or declined → attended → ended (an accepted
referral may also end without attendance). Each step has a date, never in the future
and never before the step before it; a decline needs its reason, an end its outcome.

Consent: what the social services know about a client is secret (offentlighets- och
sekretesslag (2009:400) 26 kap. 1 §); the client may waive that secrecy (12 kap. 2 §),
so a referral carries only what the client agreed to share, recorded with its date, and
is not sent before that date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.concurrency import bump, lock_version
from bokvar.history import attribute
from bokvar.models import User
from cases.core.selectors import cases as case_selectors
from cases.models import Person, ProtectedIdentity

from ..models import Referral
from . import selectors

S = Referral.Status

# Where each status may go next; the date field each step sets.
NEXT: dict[str, tuple[str, ...]] = {
    S.PROPOSED: (S.SENT,),
    S.SENT: (S.ACCEPTED, S.DECLINED),
    S.ACCEPTED: (S.ATTENDED, S.ENDED),
    S.ATTENDED: (S.ENDED,),
    S.DECLINED: (),
    S.ENDED: (),
}
DATE_OF: dict[str, str] = {
    S.PROPOSED: "proposed_on",
    S.SENT: "sent_on",
    S.ACCEPTED: "answered_on",
    S.DECLINED: "answered_on",
    S.ATTENDED: "attended_on",
    S.ENDED: "ended_on",
}


@dataclass
class ReferralData:
    partner_id: int
    person_id: int
    proposed_on: date
    consent_on: date
    share_contact: bool = False
    share_need: bool = False
    need: str = ""


def _check_past(value: date | None, *, today: date, field: str) -> date:
    if value is None:
        raise ValidationError({field: _("Enter the date.")})
    if value > today:
        raise ValidationError({field: _("This date cannot be in the future.")})
    return value


def _require_staff(actor: User) -> None:
    if not selectors.may_refer(actor):
        raise PermissionDenied


@transaction.atomic
def propose_referral(
    *, actor: User, case_id: int, data: ReferralData, today: date | None = None
) -> Referral:
    """Record a proposed referral with the client's consent."""
    _require_staff(actor)
    case = case_selectors.get_case_for_user(actor, case_id, write=True)
    today = today or timezone.localdate()
    _check_past(data.proposed_on, today=today, field="proposed_on")
    _check_past(data.consent_on, today=today, field="consent_on")
    partner = selectors.partners_for_case(case).filter(pk=data.partner_id).first()
    if partner is None:
        raise ValidationError({"partner": _("Choose an active partner of the case's district.")})
    person = Person.objects.filter(pk=data.person_id, household_id=case.household_id).first()
    if person is None:
        raise ValidationError({"person": _("Choose a member of the case's household.")})
    if data.share_contact and person.protected_identity != ProtectedIdentity.NONE:
        # Where a protected person lives or can be reached is never passed on.
        raise ValidationError(
            {"share_contact": _("A protected person's contact details are never shared.")}
        )
    need = data.need.strip()
    if data.share_need and not need:
        raise ValidationError({"need": _("Describe the need the client agreed to share.")})
    referral = Referral(
        case=case,
        person=person,
        partner=partner,
        referred_by=actor,
        status=S.PROPOSED,
        proposed_on=data.proposed_on,
        consent_on=data.consent_on,
        share_contact=data.share_contact,
        share_need=data.share_need,
        need=need,
    )
    referral.full_clean()
    attribute(referral, user=actor, reason="referral proposed").save()
    return referral


@transaction.atomic
def advance_referral(
    *,
    actor: User,
    referral_id: int,
    expected_version: int,
    status: str,
    on: date | None,
    reason: str = "",
    outcome: str = "",
    outcome_note: str = "",
    today: date | None = None,
) -> Referral:
    """Move a referral one step on; refused (400 naming the field) when the step does not
    follow from where it is, or its date is in the future or before the step before."""
    _require_staff(actor)
    current = selectors.get_referral_for_user(actor, referral_id, write=True)
    referral = lock_version(Referral, current.pk, expected_version)
    if status not in NEXT.get(referral.status, ()):
        raise ValidationError(
            {
                "status": _("A referral that is %(now)s cannot become %(next)s.")
                % {
                    "now": referral.get_status_display().lower(),
                    "next": str(S(status).label).lower() if status in S.values else status,
                }
            }
        )
    on = _check_past(on, today=today or timezone.localdate(), field="on")
    before = referral.step_on
    if before is not None and on < before:
        raise ValidationError(
            {
                "on": _("The step cannot be before the step before it (%(date)s).")
                % {"date": before.isoformat()}
            }
        )
    if status == S.SENT and on < referral.consent_on:
        raise ValidationError({"on": _("A referral cannot be sent before the client consented.")})
    if status == S.DECLINED:
        if not reason.strip():
            raise ValidationError({"reason": _("Say why the partner declined.")})
        referral.decline_reason = reason.strip()
    if status == S.ENDED:
        if outcome not in Referral.Outcome.values:
            raise ValidationError({"outcome": _("Choose the outcome.")})
        referral.outcome = outcome
        referral.outcome_note = outcome_note.strip()
    referral.status = status
    setattr(referral, DATE_OF[status], on)
    referral.full_clean()
    bump(referral)
    attribute(referral, user=actor, reason=f"referral {status}").save()
    return referral
