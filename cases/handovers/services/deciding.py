"""Deciding on a handover: the receiving unit accepts or returns it (of two people
deciding at once one wins, the other is told who was first), the sender acknowledges a
return, and either unit closes an accepted consultation. Accepting a transfer moves the
case's responsibility and object permissions; the old unit keeps read access for a while
(`access`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.conf import setting
from bokvar.history import attribute
from bokvar.models import Membership, Unit, User
from bokvar.selectors import roles_of
from cases.core.services.access import PROTECTED_PERM, grant_case, grant_perm, revoke_perm
from cases.models import (
    Case,
    CaseAssignment,
    Handover,
    HandoverReadAccess,
    Person,
    ProtectedIdentity,
)

from .. import selectors
from .access import CHANGE, VIEW, keeps_view
from .sending import notify_unit


class HandoverConflict(Exception):
    """Someone else decided on the handover first."""

    def __init__(self, handover: Handover):
        self.handover = handover
        super().__init__(self.message)

    @property
    def message(self) -> str:
        h = self.handover
        if h.status == Handover.Status.ACCEPTED:
            who, when = h.accepted_by, h.accepted_at
            text = _("This handover was already accepted by %(who)s at %(when)s.")
        elif h.status == Handover.Status.RETURNED:
            who, when = h.returned_by, h.returned_at
            text = _("This handover was already returned by %(who)s at %(when)s.")
        else:
            who, when = h.closed_by, h.closed_at
            text = _("This handover was already closed by %(who)s at %(when)s.")
        name = (who.get_full_name() or who.username) if who else _("the system")
        local = timezone.localtime(when) if when else timezone.localtime()
        return text % {"who": name, "when": local.strftime("%Y-%m-%d %H:%M")}


def _lock(handover_id: int) -> Handover:
    handover = (
        Handover.objects.select_for_update()
        .select_related("case", "from_unit", "to_unit")
        .get(pk=handover_id)
    )
    return handover


@transaction.atomic
def mark_seen(*, actor: User, handover_id: int, now: datetime | None = None) -> Handover:
    """The first time someone of the receiving unit opens a pending handover."""
    handover = selectors.get_handover_for_user(actor, handover_id)
    if handover.seen_at or handover.status != Handover.Status.PENDING:
        return handover
    if not selectors.may_decide(actor, handover):
        return handover
    handover = _lock(handover_id)
    if handover.seen_at is None:
        handover.seen_at, handover.seen_by = now or timezone.now(), actor
        attribute(handover, user=actor, reason="handover seen").save(
            update_fields=["seen_at", "seen_by"]
        )
    return handover


def _taker(handover: Handover, taken_by: User | None, actor: User) -> User | None:
    """Who takes the case: the one named, who must be case staff of the unit that takes it
    (refused naming the field otherwise); when nobody is named (the API, the demo), the
    one accepting if they may take it, else nobody."""
    eligible = selectors.takers(handover)
    if taken_by is None:
        return actor if eligible.filter(pk=actor.pk).exists() else None
    if not eligible.filter(pk=taken_by.pk).exists():
        raise ValidationError(
            {"taken_by": _("Choose a caseworker of the unit that takes the case.")}
        )
    return taken_by


@transaction.atomic
def accept_handover(
    *,
    actor: User,
    handover_id: int,
    taken_by: User | None = None,
    now: datetime | None = None,
) -> Handover:
    """Accept, naming who in the unit takes the case (`taken_by`): on a transfer they
    become the case's responsible caseworker and are assigned to it."""
    selectors.get_handover_for_user(actor, handover_id, action="decide")
    handover = _lock(handover_id)
    if handover.status != Handover.Status.PENDING:
        raise HandoverConflict(handover)
    taker = _taker(handover, taken_by, actor)
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=handover.case_id)
    if case.status != Case.Status.OPEN:
        raise ValidationError({"case": _("The case is closed and cannot be handed over.")})
    if handover.moves_responsibility and case.responsible_unit_id != handover.old_unit_id:
        # The case moved since this was sent (another transfer was accepted first):
        # accepting would take it from a unit that never agreed to hand it over.
        raise ValidationError(
            {
                "case": _(
                    "The case has moved to another unit since this was sent. Return the "
                    "handover; the unit now responsible can send a new one."
                )
            }
        )
    handover.status = Handover.Status.ACCEPTED
    handover.accepted_at, handover.accepted_by = now, actor
    handover.taken_by = taker
    if handover.seen_at is None:
        handover.seen_at, handover.seen_by = now, actor
    handover.version += 1
    handover.full_clean(validate_constraints=False)
    attribute(handover, user=actor, reason="handover accepted").save(
        update_fields=[
            "status",
            "accepted_at",
            "accepted_by",
            "taken_by",
            "seen_at",
            "seen_by",
            "version",
        ]
    )
    if handover.moves_responsibility:
        _move_responsibility(handover, case, actor=actor, now=now, taker=taker)
        _return_superseded(handover, actor=actor, now=now)
    else:
        # A consultation: the consulted unit reads the case until it is closed.
        grant_perm(VIEW, handover.to_unit.group, case, actor=actor, reason="consultation accepted")
    if handover.grants_protected:
        # Granting is part of accepting: the acceptor sees the household's protected
        # people, as the sender decided; logged, and reversible by the sender's lead.
        for person in _protected_members(case):
            grant_perm(
                PROTECTED_PERM,
                actor,
                person,
                actor=actor,
                reason="protected person granted on accepting a handover",
            )
    transaction.on_commit(
        lambda: notify_unit(
            handover,
            unit_id=handover.from_unit_id,
            kind="handover_accepted",
            subject=lambda: _("Accepted: %(what)s") % {"what": selectors.describe(handover)},
        )
    )
    return handover


def _return_superseded(accepted: Handover, *, actor: User, now: datetime) -> None:
    """Other pending transfers and transfer requests of the case no longer apply once
    one is accepted: they go back to their senders' inboxes with the reason, never
    silently dropped."""
    others = (
        Handover.objects.select_for_update()
        .filter(
            case_id=accepted.case_id,
            status=Handover.Status.PENDING,
            kind__in=[Handover.Kind.TRANSFER, Handover.Kind.TRANSFER_REQUEST],
        )
        .exclude(pk=accepted.pk)
    )
    for other in others:
        other.status = Handover.Status.RETURNED
        other.returned_at, other.returned_by = now, actor
        other.return_reason = _(
            "The case was handed over to %(unit)s first; this handover no longer applies."
        ) % {"unit": Unit.objects.get(pk=accepted.new_unit_id).name}
        other.version += 1
        attribute(other, user=actor, reason="handover superseded").save(
            update_fields=["status", "returned_at", "returned_by", "return_reason", "version"]
        )
        transaction.on_commit(partial(_tell_returned, other))


def _tell_returned(handover: Handover) -> None:
    notify_unit(
        handover,
        unit_id=handover.from_unit_id,
        kind="handover_returned",
        subject=lambda: _("Returned: %(what)s") % {"what": selectors.describe(handover)},
    )


def _move_responsibility(
    handover: Handover, case: Case, *, actor: User, now: datetime, taker: User | None
) -> None:
    new_unit = Unit.objects.get(pk=handover.new_unit_id)
    old_unit = Unit.objects.get(pk=handover.old_unit_id)
    case.responsible_unit = new_unit
    # The old unit's caseworker no longer carries the case; the one named takes it.
    case.responsible_caseworker = taker
    case.version += 1
    attribute(case, user=actor, reason="responsibility moved by handover").save(
        update_fields=["responsible_unit", "responsible_caseworker", "version"]
    )
    why = "responsibility moved by handover"
    grant_perm(VIEW, new_unit.group, case, actor=actor, reason=why)
    grant_perm(CHANGE, new_unit.group, case, actor=actor, reason=why)
    # Earlier read-only access of the new unit is superseded by full access; row by row,
    # so each revocation is in the history with its actor.
    for earlier in HandoverReadAccess.objects.filter(
        case=case, unit=new_unit, revoked_at__isnull=True
    ):
        earlier.revoked_at = now
        attribute(earlier, user=actor, reason="superseded by responsibility").save(
            update_fields=["revoked_at"]
        )
    # The sending unit keeps reading, not writing, for a period.
    revoke_perm(CHANGE, old_unit.group, case, actor=actor, reason=why)
    grant_perm(VIEW, old_unit.group, case, actor=actor, reason="read access after handover")
    access = HandoverReadAccess(
        handover=handover,
        case=case,
        unit=old_unit,
        expires_at=now + timedelta(days=setting("HANDOVER_READ_ACCESS_DAYS")),
    )
    attribute(access, user=actor, reason="read access after handover").save()
    # Assignments of the old unit's staff end with the responsibility.
    new_members = set(Membership.objects.filter(unit=new_unit).values_list("user_id", flat=True))
    for assignment in CaseAssignment.objects.filter(case=case).select_related("user"):
        if assignment.user_id not in new_members:
            revoke_perm(VIEW, assignment.user, case, actor=actor, reason=why)
            revoke_perm(CHANGE, assignment.user, case, actor=actor, reason=why)
            attribute(assignment, user=actor, reason="responsibility moved by handover").delete()
    if taker is not None and not CaseAssignment.objects.filter(case=case, user=taker).exists():
        # Assigned, so the case is on the taker's list and deadlines from now on.
        attribute(CaseAssignment(case=case, user=taker), user=actor, reason=why).save()
        grant_case(case, taker, actor=actor, reason=why)


@transaction.atomic
def return_handover(
    *, actor: User, handover_id: int, reason: str, now: datetime | None = None
) -> Handover:
    selectors.get_handover_for_user(actor, handover_id, action="decide")
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for returning the handover.")})
    handover = _lock(handover_id)
    if handover.status != Handover.Status.PENDING:
        raise HandoverConflict(handover)
    now = now or timezone.now()
    handover.status = Handover.Status.RETURNED
    handover.returned_at, handover.returned_by = now, actor
    handover.return_reason = reason.strip()
    if handover.seen_at is None:
        handover.seen_at, handover.seen_by = now, actor
    handover.version += 1
    handover.full_clean(validate_constraints=False)
    attribute(handover, user=actor, reason="handover returned").save(
        update_fields=[
            "status",
            "returned_at",
            "returned_by",
            "return_reason",
            "seen_at",
            "seen_by",
            "version",
        ]
    )
    # The case stays with its responsible unit: nothing about responsibility changed.
    transaction.on_commit(
        lambda: notify_unit(
            handover,
            unit_id=handover.from_unit_id,
            kind="handover_returned",
            subject=lambda: _("Returned: %(what)s") % {"what": selectors.describe(handover)},
        )
    )
    return handover


@transaction.atomic
def acknowledge_return(*, actor: User, handover_id: int, now: datetime | None = None) -> Handover:
    """The sender has read why it came back: it leaves the sender's inbox."""
    selectors.get_handover_for_user(actor, handover_id, action="acknowledge")
    handover = _lock(handover_id)
    if handover.status != Handover.Status.RETURNED:
        raise ValidationError({"status": _("Only a returned handover can be acknowledged.")})
    if handover.return_acknowledged_at is None:
        handover.return_acknowledged_at = now or timezone.now()
        attribute(handover, user=actor, reason="return acknowledged").save(
            update_fields=["return_acknowledged_at"]
        )
    return handover


@transaction.atomic
def close_consultation(*, actor: User, handover_id: int, now: datetime | None = None) -> Handover:
    selectors.get_handover_for_user(actor, handover_id, action="close")
    handover = _lock(handover_id)
    if handover.kind != Handover.Kind.CONSULTATION:
        raise ValidationError({"kind": _("Only a consultation is closed.")})
    if handover.status == Handover.Status.CLOSED:
        raise HandoverConflict(handover)  # someone closed it first
    if handover.status != Handover.Status.ACCEPTED:
        raise ValidationError({"status": _("Only an accepted consultation can be closed.")})
    now = now or timezone.now()
    handover.status = Handover.Status.CLOSED
    handover.closed_at, handover.closed_by = now, actor
    handover.version += 1
    attribute(handover, user=actor, reason="consultation closed").save(
        update_fields=["status", "closed_at", "closed_by", "version"]
    )
    case = Case.objects.select_for_update().get(pk=handover.case_id)
    if not keeps_view(case, handover.to_unit_id, now=now, exclude_handover=handover.pk):
        revoke_perm(VIEW, handover.to_unit.group, case, actor=actor, reason="consultation closed")
    return handover


def _protected_members(case: Case) -> QuerySet[Person]:
    return Person.objects.filter(household_id=case.household_id).exclude(
        protected_identity=ProtectedIdentity.NONE
    )


def may_revoke_protected_grant(actor: User, handover: Handover) -> bool:
    """The sending unit's lead may take back the sight given with an accepted handover."""
    return (
        handover.grants_protected
        and handover.accepted_by_id is not None
        and handover.from_unit_id in roles_of(actor).lead_unit_ids
    )


@transaction.atomic
def revoke_protected_grant(*, actor: User, handover_id: int) -> Handover:
    """Take back the grant given when the handover was accepted (logged per person)."""
    handover = _lock(handover_id)
    # Only an accepted handover has a grant to take back (may_revoke_protected_grant).
    granted_to = handover.accepted_by
    if granted_to is None or not may_revoke_protected_grant(actor, handover):
        raise ValidationError(
            {"grants_protected": _("Only the sending unit's lead may take this grant back.")}
        )
    for person in _protected_members(handover.case):
        revoke_perm(
            PROTECTED_PERM,
            granted_to,
            person,
            actor=actor,
            reason="protected-person grant of a handover taken back",
        )
    handover.grants_protected = False
    handover.version += 1
    attribute(handover, user=actor, reason="protected-person grant taken back").save(
        update_fields=["grants_protected", "version"]
    )
    return handover
