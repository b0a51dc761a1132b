"""The nightly chain check through the real broker and a real worker process."""

import pytest
from django.db import connection

from audit.models import AccessLogEntry
from audit.tasks import apply_retention, verify_access_log
from bokvar.models import Notification

from .helpers import add_entries, tampering

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_worker_verifies_the_chain_and_notifies_auditors_once(celery_worker, org):
    auditor = org.users["auditor"]
    add_entries(org.users["caseworker"], 3)
    assert verify_access_log.delay().get(timeout=60) == "ok"
    with tampering(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {AccessLogEntry._meta.db_table} SET object_id = 99 WHERE seq = 2")
    assert verify_access_log.delay().get(timeout=60) == "entry 2 was altered"
    assert verify_access_log.delay().get(timeout=60) == "entry 2 was altered"
    notes = Notification.objects.filter(kind="audit_chain_broken")
    assert list(notes.values_list("recipient_id", flat=True)) == [auditor.pk]
    assert apply_retention.delay().get(timeout=60) == 0
