"""The core has no Celery tasks: nothing about people and cases happens on a schedule."""
