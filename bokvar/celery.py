"""The Celery application. The database is the source of truth: tasks find due rows,
act and mark them done, so a lost or repeated task does no harm."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")

app = Celery("bokvar")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The apps and parts of cases/ whose tasks module holds periodic jobs; the task names
# ("cases.send_deadline_reminders", …) are set on each task, not derived from the module.
app.autodiscover_tasks(["bokvar", "cases.evictions", "cases.handovers", "audit", "steering"])
