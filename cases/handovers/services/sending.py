"""Sending a handover: a transfer or a consultation to another unit, or a unit's request
to take over a case it can already see. Sending the same pending handover twice returns
the first one."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from bokvar.history import attribute
from bokvar.models import Unit, User
from bokvar.notifications import Text, notify
from bokvar.selectors import unit_staff
from cases.core.selectors import cases as case_selectors
from cases.core.selectors.people import grantable_protected_people
from cases.models import Case, Handover

from .. import selectors


def notify_unit(handover: Handover, *, unit_id: int, kind: str, subject: Text) -> None:
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
    grants_protected: bool = False,
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
    if grants_protected and not grantable_protected_people(actor, case).exists():
        # Only someone granted the household's protected people may pass sight of them on.
        raise ValidationError(
            {"grants_protected": _("You may not let anyone see this household's people.")}
        )
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
        grants_protected=grants_protected,
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
        lambda: notify_unit(
            handover,
            unit_id=handover.to_unit_id,
            kind="handover_sent",
            subject=lambda: selectors.describe(handover),
        )
    )
    return handover, True
