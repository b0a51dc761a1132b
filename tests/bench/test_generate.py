"""The benchmark data generator and runner work, on the district scale."""

import io

import pytest
from django.core.management import CommandError, call_command

from bench.runner import Scenario, measure, percentile
from cases import selectors
from cases.models import Case, CaseGroupObjectPermission, Person

pytestmark = pytest.mark.django_db


def test_district_scale_has_the_seed_proportions_and_works_with_the_app():
    call_command("seed_demo", "--scale", "district", "--password", "pw", stdout=io.StringIO())
    assert Case.objects.count() == 660
    assert Person.objects.count() == 660
    assert Person.history.count() == 660 and Case.history.count() == 660
    # Every case is granted to its responsible unit's group, read and write.
    assert CaseGroupObjectPermission.objects.count() == 2 * 660
    # Generated people are encrypted and findable like any other.
    person = Person.objects.order_by("id").first()
    found = selectors.find_person_by_personal_number(
        Case.objects.get(household=person.household).assignments.first().user,
        person.personal_number,
    )
    assert found == person
    with pytest.raises(CommandError, match="already holds cases"):
        call_command("seed_demo", "--scale", "district", stdout=io.StringIO())


def test_runner_reports_percentiles_queries_and_rate():
    calls = []
    result = measure(
        Scenario("count", lambda: calls.append(Case.objects.count()), items=10), repeat=5
    )
    assert result.runs == 5 and result.queries == 1
    assert result.p95_ms >= result.median_ms >= 0
    assert result.rate_per_s is not None and result.rate_per_s > 0
    assert percentile([1, 2, 3, 4, 100], 0.95) == 100
