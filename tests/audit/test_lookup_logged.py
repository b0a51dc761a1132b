"""The auditor's identity-number lookup is itself a read of a person (issue 17, point 6):
a hit is logged, with the client address from the trusted proxies; a miss reads nobody."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit import chain
from audit.models import AccessLogEntry

pytestmark = pytest.mark.django_db


def test_a_found_person_is_logged_as_a_lookup(client, settings, cases, auditor):
    settings.BOKVAR = {**settings.BOKVAR, "TRUSTED_PROXIES": ["10.0.0.0/8"]}
    client.force_login(auditor, backend="django.contrib.auth.backends.ModelBackend")
    before = AccessLogEntry.objects.count()
    response = client.post(
        reverse("audit:index"),
        {"personal_number": "800101-2387"},
        REMOTE_ADDR="10.1.2.3",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.44",
    )
    head = cases.a.household.head_id
    assert response.status_code == 302
    entries = list(AccessLogEntry.objects.order_by("seq")[before:])
    assert [(e.user_id, e.object_type, e.object_id, e.person_id, e.how, e.ip) for e in entries] == [
        (auditor.pk, "cases.person", head, head, "lookup", "192.0.2.44")
    ]
    assert chain.verify().ok


def test_a_miss_logs_nothing(client, cases, auditor):
    client.force_login(auditor, backend="django.contrib.auth.backends.ModelBackend")
    before = AccessLogEntry.objects.count()
    response = client.post(reverse("audit:index"), {"personal_number": "19700101-0000"})
    assert response.status_code == 200
    assert AccessLogEntry.objects.count() == before
