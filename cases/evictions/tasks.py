"""Periodic eviction-prevention jobs; each is idempotent and safe to run at any time."""

from celery import shared_task


@shared_task(name="cases.send_deadline_reminders")
def send_deadline_reminders(today: str | None = None) -> int:
    """Remind responsible staff of due deadlines and flag children at risk of eviction.
    Safe to run at any time, any number of times (see services.deadlines)."""
    from datetime import date

    from .services.deadlines import send_due_reminders

    return send_due_reminders(today=date.fromisoformat(today) if today else None)
