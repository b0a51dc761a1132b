"""Periodic eviction-prevention jobs; each is idempotent and safe to run at any time."""

from celery import shared_task


@shared_task(name="cases.send_deadline_reminders")
def send_deadline_reminders(today: str | None = None) -> int:
    """Remind responsible staff of due deadlines and flag children at risk of eviction.
    Safe to run at any time, any number of times (see services.deadlines)."""
    from datetime import date

    from .services.deadlines import send_due_reminders

    return send_due_reminders(today=date.fromisoformat(today) if today else None)


@shared_task(name="cases.notify_signals")
def notify_signals() -> int:
    """Announce signals that arrived by API or import to their district's coordinators
    (one digest per coordinator and run) and escalate signals left untriaged to the
    coordinators' unit lead. Safe to run at any time (see services.signal_alerts)."""
    from .services.signal_alerts import escalate_untriaged, notify_arrivals

    return notify_arrivals() + escalate_untriaged()


@shared_task(name="cases.run_signal_import")
def run_signal_import(import_id: int) -> str:
    """Check and save one uploaded CSV batch, whole or not at all (services.import_jobs)."""
    from .services.import_jobs import run_import

    return run_import(import_id)
