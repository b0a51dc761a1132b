"""seed_demo's workflow data: what a coordinator needs to try the daily work."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bokvar.legal_calendar import is_working_day
from cases.models import (
    Contact,
    Deadline,
    EvictionThreat,
    Intervention,
    Landlord,
    LandlordSignal,
)

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_workflow(demo_seeded):
    today = timezone.localdate()
    kinds = set(Landlord.objects.values_list("kind", flat=True))
    assert kinds == set(Landlord.Kind.values)
    assert LandlordSignal.objects.filter(status=LandlordSignal.Status.UNTRIAGED).exists()
    assert LandlordSignal.objects.exclude(status=LandlordSignal.Status.UNTRIAGED).exists()
    stages = {t.stage for t in EvictionThreat.objects.all()}
    assert stages == set(EvictionThreat.Stage.values)
    assert Contact.objects.exists() and Intervention.objects.exists()
    upcoming = Deadline.objects.filter(done_at__isnull=True, due_on__gte=today)
    assert set(upcoming.values_list("kind", flat=True)) >= {
        Deadline.Kind.RECOVERY,
        Deadline.Kind.EVICTION,
        Deadline.Kind.FOLLOW_UP,
    }
    # An expired recovery deadline is closed; one with an application recorded inside
    # the period still counts down (JB 12 kap. 44 §).
    recovery = Deadline.objects.filter(kind=Deadline.Kind.RECOVERY, done_at__isnull=True)
    assert not recovery.filter(due_on__lt=today).exists()
    assert recovery.filter(threat__application_on__isnull=False).exists()
    # No deadline of the demo falls on a weekend, holiday or eve (lag 1930:173 2 §).
    open_days = Deadline.objects.filter(done_at__isnull=True).values_list("due_on", flat=True)
    assert [d for d in open_days if not is_working_day(d)] == []
    stored = EvictionThreat.objects.exclude(recovery_deadline=None)
    assert all(is_working_day(t.recovery_deadline) for t in stored)
