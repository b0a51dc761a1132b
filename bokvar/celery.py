"""The Celery application. The database is the source of truth: tasks find due rows,
act and mark them done, so a lost or repeated task does no harm."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bokvar.settings")

app = Celery("bokvar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
