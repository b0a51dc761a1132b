"""Read access after a handover: the sending unit of an accepted transfer keeps reading
the case for `HANDOVER_READ_ACCESS_DAYS`, a consulted unit until the consultation is
closed. The periodic task revokes what has expired, once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from bokvar.history import attribute, system_user
from cases.core.services.access import revoke_perm
from cases.models import Case, Handover, HandoverReadAccess

VIEW, CHANGE = "cases.view_case", "cases.change_case"


def keeps_view(
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
    )
    if exclude_handover is not None:
        consulted = consulted.exclude(pk=exclude_handover)
    if consulted.exists():
        return True
    return HandoverReadAccess.objects.filter(
        case=case, unit_id=unit_id, revoked_at__isnull=True, expires_at__gt=now
    ).exists()


def revoke_expired_access(*, now: datetime | None = None) -> int:
    """Remove read access whose period has ended. Idempotent: each row is claimed under
    a lock and marked revoked in the same transaction."""
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
            if not keeps_view(access.case, access.unit_id, now=now):
                revoke_perm(
                    VIEW, access.unit.group, access.case, actor=actor, reason="read access ended"
                )
            revoked += 1
    return revoked
