"""Every write to handovers: one transaction each, permission checked, the row locked
and its state checked (so of two people deciding at once one wins and the other is
told), history attributed to the actor with a reason."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.history import attribute
from bokvar.models import Membership, Unit, User
from cases.core.selectors import cases as case_selectors
from cases.core.services.access import grant_perm, revoke_perm
from cases.models import Case, CaseAssignment, Handover, HandoverReadAccess

from . import selectors

VIEW, CHANGE = "cases.view_case", "cases.change_case"


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


def _notify_unit(handover: Handover, *, unit_id: int, kind: str, subject: str) -> None:
    from bokvar.notifications import notify
    from cases.workflow.selectors import unit_staff

    notify(
        recipients=unit_staff(unit_id),
        kind=kind,
        dedupe_key=f"handover:{handover.pk}:{kind}",
        subject=subject,
        url=reverse("cases:handover", kwargs={"handover_id": handover.pk}),
    )


@transaction.atomic
def send_handover(
    *,
    actor: User,
    case_id: int,
    kind: str,
    to_unit: Unit | None = None,
    from_unit: Unit | None = None,
    reason: str,
    expectations: str = "",
    urgency: str = Handover.Urgency.NORMAL,
    now: datetime | None = None,
) -> tuple[Handover, bool]:
    """Send a transfer or consultation (to `to_unit`) or a transfer request (from the
    actor's `from_unit` to the responsible unit). Returns (handover, created): the same
    pending handover sent again is returned, not duplicated."""
    case = case_selectors.get_case_for_user(actor, case_id)
    # Serialise sends per case, so a double click cannot race past the check below.
    case = Case.objects.select_for_update().select_related("responsible_unit").get(pk=case.pk)
    if kind == Handover.Kind.TRANSFER_REQUEST:
        allowed = {u.pk: u for u in selectors.requesting_units(actor, case)}
        if from_unit is None or from_unit.pk not in allowed:
            if not allowed:
                raise PermissionDenied
            raise ValidationError({"from_unit": _("Choose one of your units to ask for the case.")})
        to_unit = case.responsible_unit
    elif kind in (Handover.Kind.TRANSFER, Handover.Kind.CONSULTATION):
        if not selectors.may_hand_over(actor, case):
            raise PermissionDenied
        from_unit = case.responsible_unit
        if to_unit is None or not selectors.target_units(case).filter(pk=to_unit.pk).exists():
            raise ValidationError(
                {"to_unit": _("Choose another active unit of the district to hand over to.")}
            )
    else:
        raise ValidationError({"kind": _("Choose the kind of handover.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the handover.")})
    existing = Handover.objects.filter(
        case=case, to_unit=to_unit, kind=kind, status=Handover.Status.PENDING
    ).first()
    if existing is not None:
        return existing, False
    handover = Handover(
        case=case,
        kind=kind,
        from_unit=from_unit,
        to_unit=to_unit,
        reason=reason.strip(),
        expectations=expectations.strip(),
        urgency=urgency,
        sent_at=now or timezone.now(),
        sent_by=actor,
    )
    handover.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            attribute(handover, user=actor, reason="handover sent").save()
    except IntegrityError:
        # Another request created the same pending handover first.
        return Handover.objects.get(
            case=case, to_unit=to_unit, kind=kind, status=Handover.Status.PENDING
        ), False
    transaction.on_commit(
        lambda: _notify_unit(
            handover,
            unit_id=handover.to_unit_id,
            kind="handover_sent",
            subject=selectors.describe(handover),
        )
    )
    return handover, True


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


@transaction.atomic
def accept_handover(*, actor: User, handover_id: int, now: datetime | None = None) -> Handover:
    selectors.get_handover_for_user(actor, handover_id, action="decide")
    handover = _lock(handover_id)
    if handover.status != Handover.Status.PENDING:
        raise HandoverConflict(handover)
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
    if handover.seen_at is None:
        handover.seen_at, handover.seen_by = now, actor
    handover.version += 1
    handover.full_clean(validate_constraints=False)
    attribute(handover, user=actor, reason="handover accepted").save(
        update_fields=["status", "accepted_at", "accepted_by", "seen_at", "seen_by", "version"]
    )
    if handover.moves_responsibility:
        _move_responsibility(handover, case, actor=actor, now=now)
        _return_superseded(handover, actor=actor, now=now)
    else:
        # A consultation: the consulted unit reads the case until it is closed.
        grant_perm(VIEW, handover.to_unit.group, case, actor=actor, reason="consultation accepted")
    transaction.on_commit(
        lambda: _notify_unit(
            handover,
            unit_id=handover.from_unit_id,
            kind="handover_accepted",
            subject=_("Accepted: %(what)s") % {"what": selectors.describe(handover)},
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
        transaction.on_commit(
            lambda other=other: _notify_unit(
                other,
                unit_id=other.from_unit_id,
                kind="handover_returned",
                subject=_("Returned: %(what)s") % {"what": selectors.describe(other)},
            )
        )


def _move_responsibility(handover: Handover, case: Case, *, actor: User, now: datetime) -> None:
    new_unit = Unit.objects.get(pk=handover.new_unit_id)
    old_unit = Unit.objects.get(pk=handover.old_unit_id)
    case.responsible_unit = new_unit
    case.version += 1
    attribute(case, user=actor, reason="responsibility moved by handover").save(
        update_fields=["responsible_unit", "version"]
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
        expires_at=now + timedelta(days=selectors.read_access_days()),
    )
    attribute(access, user=actor, reason="read access after handover").save()
    # Assignments of the old unit's staff end with the responsibility.
    new_members = set(Membership.objects.filter(unit=new_unit).values_list("user_id", flat=True))
    for assignment in CaseAssignment.objects.filter(case=case).select_related("user"):
        if assignment.user_id not in new_members:
            revoke_perm(VIEW, assignment.user, case, actor=actor, reason=why)
            revoke_perm(CHANGE, assignment.user, case, actor=actor, reason=why)
            attribute(assignment, user=actor, reason="responsibility moved by handover").delete()


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
        lambda: _notify_unit(
            handover,
            unit_id=handover.from_unit_id,
            kind="handover_returned",
            subject=_("Returned: %(what)s") % {"what": selectors.describe(handover)},
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
    if not _keeps_view(case, handover.to_unit_id, now=now, exclude_handover=handover.pk):
        revoke_perm(VIEW, handover.to_unit.group, case, actor=actor, reason="consultation closed")
    return handover


def _keeps_view(
    case: Case, unit_id: int, *, now: datetime, exclude_handover: int | None = None
) -> bool:
    """A unit keeps reading a case it is responsible for, is consulted on, or still has
    read access to after a handover."""
    if case.responsible_unit_id == unit_id:
        return True
    consulted = Handover.objects.filter(
        case=case,
        to_unit_id=unit_id,
        kind=Handover.Kind.CONSULTATION,
        status=Handover.Status.ACCEPTED,
    ).exclude(pk=exclude_handover)
    if consulted.exists():
        return True
    return HandoverReadAccess.objects.filter(
        case=case, unit_id=unit_id, revoked_at__isnull=True, expires_at__gt=now
    ).exists()


def revoke_expired_access(*, now: datetime | None = None) -> int:
    """Remove read access whose period has ended. Idempotent: each row is claimed under
    a lock and marked revoked in the same transaction."""
    from bokvar.history import system_user

    now = now or timezone.now()
    actor = system_user()
    revoked = 0
    due = list(
        HandoverReadAccess.objects.filter(revoked_at__isnull=True, expires_at__lte=now)
        .order_by("id")
        .values_list("id", flat=True)
    )
    for access_id in due:
        with transaction.atomic():
            access = (
                HandoverReadAccess.objects.select_for_update(skip_locked=True)
                .filter(pk=access_id, revoked_at__isnull=True)
                .select_related("unit__group", "case")
                .first()
            )
            if access is None:
                continue
            access.revoked_at = now
            attribute(access, user=actor, reason="read access period ended").save(
                update_fields=["revoked_at"]
            )
            if not _keeps_view(access.case, access.unit_id, now=now):
                revoke_perm(
                    VIEW, access.unit.group, access.case, actor=actor, reason="read access ended"
                )
            revoked += 1
    return revoked
