"""The Celery application. The database is the source of truth: tasks find due rows,
act and mark them done, so a lost or repeated task does no harm."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")

app = Celery("bokvar")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The apps and parts of cases/ whose tasks module holds periodic jobs; the task names
# ("cases.send_deadline_reminders", …) are set on each task, not derived from the module.
app.autodiscover_tasks(["bokvar", "cases.evictions", "cases.handovers", "audit", "steering"])


@worker_init.connect
def _refuse_bad_keys(**kwargs: object) -> None:
    """A worker runs no system checks: it refuses bad or public keys (bokvar.checks)."""
    from bokvar.checks import refuse_bad_keys

    refuse_bad_keys()
