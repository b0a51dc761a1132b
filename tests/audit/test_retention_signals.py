"""Landlord signals about nobody registered (never linked to a case, naming no registered
person) are culled on their own date; the research rule and the retention period apply."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit import retention
from cases.evictions.services.landlord_signals import SignalInput, register_signal
from cases.evictions.services.landlords import register_landlord
from cases.evictions.services.triage import dismiss_signal
from cases.models import Landlord, LandlordSignal

from .test_retention import backdate_everything

pytestmark = pytest.mark.django_db

KEY = "cases.landlordsignal"
PLAIN = "19810203-0015"  # born on the 3rd
RESEARCH = "19720415-0010"  # born on the 15th
REGISTERED = "19800101-2387"  # Astrid of the `cases` fixture


def _signal(org, *, number: str, years_old: float, dismiss: bool = False) -> LandlordSignal:
    coordinator = org.users["coordinator"]
    landlord = Landlord.objects.first() or register_landlord(
        actor=org.users["admin"], kind=Landlord.Kind.HOUSING_COMPANY, name="Bolaget"
    )
    signal = register_signal(
        actor=coordinator,
        landlord=landlord,
        data=SignalInput(
            kind="rent_arrears",
            received_on=timezone.localdate(),
            channel="phone",
            personal_number=number,
            name="Hyresgäst Okänd",
            address="Okändgatan 1",
        ),
    )
    if dismiss:
        signal = dismiss_signal(
            actor=coordinator,
            signal_id=signal.pk,
            expected_version=signal.version,
            reason="Inte vårt ärende",
        )
    when = timezone.now() - timedelta(days=round(365 * years_old))
    LandlordSignal.objects.filter(pk=signal.pk).update(
        received_on=when.date(),
        created_at=when,
        triaged_at=when if dismiss else None,
    )
    LandlordSignal.history.filter(id=signal.pk).update(history_date=when)
    return signal


def test_old_unlinked_signals_go_young_and_research_ones_stay(org, cases):
    backdate_everything()  # the people of `cases` are past retention too
    old = _signal(org, number=PLAIN, years_old=6, dismiss=True)
    nameless = _signal(org, number="", years_old=7)
    young = _signal(org, number=PLAIN, years_old=2)
    research = _signal(org, number=RESEARCH, years_old=6)
    plan = retention.plan()
    assert plan.orphans[KEY] == sorted([old.pk, nameless.pk])
    assert plan.orphans_research[KEY] == [research.pk]
    result = retention.apply(dry_run=False)
    assert result.counts[KEY] == 2
    left = set(LandlordSignal.objects.values_list("pk", flat=True))
    assert {young.pk, research.pk} <= left
    assert not left & {old.pk, nameless.pk}
    assert not LandlordSignal.history.filter(id__in=[old.pk, nameless.pk]).exists()
    assert LandlordSignal.history.filter(id=young.pk).exists()


def test_a_recent_change_keeps_an_old_signal(org):
    signal = _signal(org, number=PLAIN, years_old=6)
    signal.refresh_from_db()
    dismiss_signal(
        actor=org.users["coordinator"],
        signal_id=signal.pk,
        expected_version=signal.version,
        reason="Dubblett",
    )
    assert retention.plan().orphans[KEY] == []


def test_a_signal_naming_a_registered_person_follows_that_person(org, cases, auditor):
    """Not culled on its own while the person's records remain (nor under their hold)."""
    from audit import services

    head = cases.a.household.head_id
    services.place_legal_hold(actor=auditor, person_id=head, reason="Tvist")
    signal = _signal(org, number=REGISTERED, years_old=6)
    backdate_everything()
    result = retention.apply(dry_run=False)
    assert signal.pk not in result.orphans[KEY]
    assert LandlordSignal.objects.filter(pk=signal.pk).exists()


def test_dry_run_lists_signal_ids_and_deletes_nothing(org, capsys):
    old = _signal(org, number=PLAIN, years_old=6)
    research = _signal(org, number=RESEARCH, years_old=6)
    call_command("apply_retention", "--dry-run")
    out = capsys.readouterr().out
    assert f"Would cull 1 {KEY} about nobody registered: {old.pk}" in out
    assert f"Kept for research (birth day), {KEY}: {research.pk}" in out
    for secret in ("19810203", "810203", "Okänd", "Hyresgäst"):
        assert secret not in out
    assert LandlordSignal.objects.filter(pk=old.pk).exists()
    assert LandlordSignal.history.filter(id=old.pk).exists()
    call_command("apply_retention")
    assert not LandlordSignal.objects.filter(pk=old.pk).exists()


def test_the_retention_period_is_a_setting(org, cases, settings):
    signal = _signal(org, number=PLAIN, years_old=6)
    backdate_everything(years=6)
    everyone = {getattr(cases, k).household.head_id for k in "apg"}
    settings.RETENTION_YEARS = 10
    now = timezone.now()
    assert retention.cutoff(now).year == now.year - 10
    plan = retention.plan()
    assert plan.cull == [] and plan.orphans[KEY] == []
    settings.RETENTION_YEARS = 3
    assert retention.cutoff(now).year == now.year - 3
    plan = retention.plan()
    assert set(plan.cull) == everyone and plan.orphans[KEY] == [signal.pk]


def test_bokvar_retention_years_sets_the_setting():
    env = {**os.environ, "BOKVAR_RETENTION_YEARS": "7"}
    out = subprocess.run(
        [sys.executable, "-c", "import bokvar.settings as s; print(s.RETENTION_YEARS)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "7"
