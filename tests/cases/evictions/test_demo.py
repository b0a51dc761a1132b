"""seed_demo's workflow data: what a coordinator needs to try the daily work."""

from __future__ import annotations

import pytest
from django.utils import timezone

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
    # No threat past the recovery stage leaves its recovery deadline open and overdue.
    stale = Deadline.objects.filter(
        kind=Deadline.Kind.RECOVERY, done_at__isnull=True, due_on__lt=today
    ).filter(threat__application_on__isnull=False)
    assert not stale.exists()
    assert not Deadline.objects.filter(
        kind=Deadline.Kind.RECOVERY, done_at__isnull=True, threat__eviction_on__isnull=False
    ).exists()
