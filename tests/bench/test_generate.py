"""The benchmark data generator and runner work, on the district scale."""

import io
import random
from dataclasses import asdict
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import Count, OuterRef, Q, Subquery

from audit import chain
from bench.runner import Scenario, measure, percentile
from bench.steps import plans
from cases.core.selectors.cases import CaseFilters, case_list
from cases.evictions.services import threats as workflow
from cases.models import (
    Case,
    CaseGroupObjectPermission,
    EvictionThreat,
    Handover,
    LandlordSignal,
    Person,
)
from housing.models import Apartment, Placement, ShelterNight

pytestmark = pytest.mark.django_db


def test_district_scale_has_the_seed_proportions_and_works_with_the_app(district_seeded):
    assert Case.objects.count() == 660
    assert Person.objects.count() == 660
    assert Person.history.count() == 660 and Case.history.count() == 660
    # Every case is granted to its responsible unit's group, read and write.
    assert CaseGroupObjectPermission.objects.count() == 2 * 660
    # Generated people are encrypted and findable like any other.
    person = Person.objects.order_by("id").first()
    staff = Case.objects.get(household=person.household).assignments.first().user
    found = case_list(staff, CaseFilters(q=person.personal_number))
    assert [case.household.head_id for case in found] == [person.pk]
    with pytest.raises(CommandError, match="already holds cases"):
        call_command("seed_demo", "--scale", "district", stdout=io.StringIO())


def test_district_scale_fills_every_steering_figure_with_realistic_numbers(district_seeded):
    year = date.today().year - 1  # a whole year inside the generated data
    in_year = (date(year, 1, 1), date(year, 12, 31))

    # One eviction threat per eviction-prevention case, none on homelessness cases.
    threats = EvictionThreat.objects.all()
    assert threats.count() == Case.objects.filter(kind=Case.Kind.EVICTION_PREVENTION).count()
    assert not threats.filter(case__kind=Case.Kind.HOMELESSNESS).exists()
    # About 140 new threats a year in the district, several signals each.
    new = threats.filter(arrears_notice_on__range=in_year).count()
    assert 110 <= new <= 190
    linked = LandlordSignal.objects.filter(case__isnull=False).count()
    assert 3.5 <= linked / threats.count() <= 4.5
    # A triage queue: signals waiting, some of them repeats.
    waiting = LandlordSignal.objects.filter(status=LandlordSignal.Status.UNTRIAGED)
    assert waiting.count() >= 20 and waiting.filter(repeat_of__isnull=False).exists()

    # Threats end in every outcome; evictions rare but present, some with children.
    outcomes = dict(
        threats.filter(concluded_on__range=in_year)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert set(outcomes) == {v for v in EvictionThreat.Outcome.values if v}
    concluded = sum(outcomes.values())
    assert 0 < outcomes["evicted"] <= 0.12 * concluded
    assert outcomes["lease_kept"] > outcomes["evicted"]
    evicted_with_children = threats.filter(
        outcome=EvictionThreat.Outcome.EVICTED, case__household__children__isnull=False
    )
    assert evicted_with_children.exists()
    # Every stage is reached; some threats are still open, never on a closed case.
    assert threats.filter(application_on__isnull=False).exists()
    assert threats.filter(eviction_on__isnull=False).exists()
    assert threats.filter(outcome="").exists()
    assert not threats.filter(outcome="", case__status=Case.Status.CLOSED).exists()
    # A closed eviction-prevention case carries its threat's outcome.
    closed = Case.objects.filter(kind=Case.Kind.EVICTION_PREVENTION, status=Case.Status.CLOSED)
    assert closed.exists()
    assert not closed.exclude(outcome=_threat_outcome()).exists()

    # About 80 homeless people a year in the shelters, a few thousand nights.
    nights = ShelterNight.objects.filter(night__range=in_year)
    assert 60 <= nights.values("person").distinct().count() <= 120
    assert 1_500 <= nights.count() <= 5_000
    # Dozens of placements current during the year, some ending in a takeover.
    current = Placement.objects.filter(start_on__lte=in_year[1]).filter(
        Q(end_on__isnull=True) | Q(end_on__gte=in_year[0])
    )
    assert 24 <= current.count() <= 100
    assert Placement.objects.filter(outcome=Placement.Outcome.TAKEOVER).count() >= 3
    assert Placement.objects.filter(outcome=Placement.Outcome.MOVED_ON).exists()
    taken_over = Apartment.objects.filter(status=Apartment.Status.LEFT_STOCK)
    assert taken_over.count() == Placement.objects.filter(outcome="takeover").count()
    # Placements are the district's own clients' (homelessness cases).
    assert not Placement.objects.exclude(case__kind=Case.Kind.HOMELESSNESS).exists()
    # Handovers between units: a quarter of the cases, some pending, some returned.
    assert 0.18 * 660 <= Handover.objects.count() <= 0.32 * 660
    assert Handover.objects.filter(status=Handover.Status.PENDING).exists()
    assert Handover.objects.filter(status=Handover.Status.RETURNED).exists()


def _threat_outcome():
    return Subquery(EvictionThreat.objects.filter(case=OuterRef("pk")).values("outcome")[:1])


def test_every_generated_row_has_its_history_and_the_access_log_verifies(district_seeded):
    checked = 0
    for model in apps.get_models():
        history = getattr(model, "history", None)
        if history is None or not hasattr(history, "model"):
            continue
        created = history.model.objects.filter(history_type="+").values(model._meta.pk.attname)
        assert not model.objects.exclude(pk__in=created).exists(), model.__name__
        checked += model.objects.count()
    assert checked > 10_000
    verdict = chain.verify()
    assert verdict.ok and verdict.checked >= 660 * 6


def test_planned_threats_pass_the_workflow_validation_and_constraints():
    rng = random.Random(1)  # noqa: S311 - fictional data
    today = date(2026, 6, 15)
    seen = set()
    for _ in range(3_000):
        opened = today - timedelta(days=rng.randint(0, 3 * 365))
        plan = plans.plan_threat(rng, opened=opened, today=today)
        values = asdict(plan)
        deadline = values.pop("recovery_deadline")
        workflow.validate(workflow.ThreatData(**values), today=today)
        assert deadline == workflow.recovery_deadline(
            plan.termination_served_on, plan.board_notified_on, plan.termination_notice
        )
        assert bool(plan.outcome) == (plan.concluded_on is not None)
        assert plan.concluded_on is None or plan.concluded_on <= today
        if plan.eviction_on and plan.termination_served_on:
            assert plan.eviction_on >= plan.termination_served_on
        closed_on, outcome = plans.case_closing(rng, plan, opened=opened, today=today)
        assert closed_on is None or (plan.outcome and opened <= closed_on <= today)
        assert outcome == (plan.outcome if closed_on else "")
        seen.add(EvictionThreat(**asdict(plan)).stage)
        seen.add(plan.outcome)
    assert {"arrears", "termination", "application", "eviction_date", "concluded"} <= seen
    assert {"evicted", "recovered_by_payment", "lease_kept"} <= seen


def test_runner_reports_percentiles_queries_and_rate():
    calls = []
    result = measure(
        Scenario("count", lambda: calls.append(Case.objects.count()), items=10), repeat=5
    )
    assert result.runs == 5 and result.queries == 1
    assert result.p95_ms >= result.median_ms >= 0
    assert result.rate_per_s is not None and result.rate_per_s > 0
    assert percentile([1, 2, 3, 4, 100], 0.95) == 100
