from celery import shared_task


@shared_task(name="cases.send_deadline_reminders")
def send_deadline_reminders(today: str | None = None) -> int:
    """Remind responsible staff of due deadlines. Safe to run at any time, any number
    of times (see cases.workflow.reminders)."""
    from datetime import date

    from .workflow.reminders import send_due_reminders

    return send_due_reminders(today=date.fromisoformat(today) if today else None)


# Registered with the worker through this module (Celery discovers `cases.tasks`).
from .handovers.tasks import escalate_handovers, revoke_handover_read_access  # noqa: E402

__all__ = ["escalate_handovers", "revoke_handover_read_access", "send_deadline_reminders"]
