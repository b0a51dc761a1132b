"""Periodic handover jobs; both are idempotent and safe to run at any time."""

from celery import shared_task


@shared_task(name="cases.escalate_handovers")
def escalate_handovers(now: str | None = None) -> int:
    from datetime import datetime

    from .services.escalation import escalate_overdue

    return escalate_overdue(now=datetime.fromisoformat(now) if now else None)


@shared_task(name="cases.revoke_handover_read_access")
def revoke_handover_read_access(now: str | None = None) -> int:
    from datetime import datetime

    from .services.access import revoke_expired_access

    return revoke_expired_access(now=datetime.fromisoformat(now) if now else None)
