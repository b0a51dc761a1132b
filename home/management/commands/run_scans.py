"""Run the periodic scans of the case work once, now: deadline reminders, the arrival
digest and escalation of landlord signals, handover escalations and the revocation of
expired read access.

The scheduler runs them hourly; `make run` runs them once at start so a first demo
already shows its reminders and escalations instead of an hour later. Each scan is
idempotent (DESIGN §4, background work), so running it here and again on the hour
sends nothing twice."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from cases.evictions.tasks import notify_signals, send_deadline_reminders
from cases.handovers.tasks import escalate_handovers, revoke_handover_read_access

# The scans, in the order the scheduler lists them (bokvar/settings.py).
SCANS = [
    ("deadline reminders", send_deadline_reminders),
    ("signal arrivals and escalations", notify_signals),
    ("handover escalations", escalate_handovers),
    ("expired handover read access", revoke_handover_read_access),
]


class Command(BaseCommand):
    help = "Run the reminder, escalation and read-access scans once, now."

    def handle(self, *args, **options):
        for label, task in SCANS:
            # Called in this process, not queued: `make run` starts the worker afterwards.
            done = task()
            self.stdout.write(f"{label}: {done}")
