"""bulk.insert writes what save() would write: encrypted values, keys, history rows."""

import pytest
from django.db import connection

from bokvar import bulk
from bokvar.history import system_user
from cases.models import Household, HouseholdChild, Person

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int, key: str = "id") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE {key} = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_insert_encrypts_sets_keys_and_writes_history():
    actor = system_user()
    households = bulk.insert(Household, [Household(), Household()])
    assert all(h.pk for h in households)
    people = [
        Person(
            household=h,
            given_name=f"Anna{i}",
            family_name="Andersson",
            personal_number="19800101-0008" if i == 0 else "",
            notes="Hyresskuld",
        )
        for i, h in enumerate(households)
    ]
    bulk.insert(Person, people, user_id=actor.pk, reason="imported")

    assert [p.pk for p in people] == sorted(p.pk for p in people)
    stored = _raw("cases_person", "given_name", people[0].pk)
    assert stored.startswith("enc2:") and "Anna0" not in stored
    assert Person.objects.get(pk=people[0].pk).given_name == "Anna0"
    assert Person.objects.get(pk=people[1].pk).notes == "Hyresskuld"

    rows = Person.history.filter(id__in=[p.pk for p in people]).order_by("id")
    assert [(r.history_type, r.history_user_id, r.history_change_reason) for r in rows] == [
        ("+", actor.pk, "imported"),
        ("+", actor.pk, "imported"),
    ]
    assert rows[0].given_name == "Anna0"
    history_raw = _raw(
        "cases_historicalperson", "family_name", rows[0].history_id, key="history_id"
    )
    assert history_raw.startswith("enc2:") and "Andersson" not in history_raw

    # The sequence moved on: an ordinary save afterwards gets a fresh key.
    later = Household.objects.create()
    assert later.pk > max(h.pk for h in households)


def test_insert_without_history_model_and_empty_input():
    household = Household.objects.create()
    assert bulk.insert(HouseholdChild, []) == []
    children = bulk.insert(HouseholdChild, [HouseholdChild(household=household, birth_year=2015)])
    assert HouseholdChild.objects.get(pk=children[0].pk).birth_year == 2015


def test_insert_stores_json_once_dumped_in_the_row_and_its_history(org):
    """A JSONField goes through COPY as its JSON text, made once for the row and its
    history row: both hold the value save() would store (nested, non-ASCII, null)."""
    from django.utils import timezone

    from steering.models import MonthlyReport

    actor = system_user()
    data = {"figures": [{"key": "nätter", "rows": [[1, None, 2.5]], "total": {"ok": True}}]}
    report = MonthlyReport(
        district=org.district,
        period="2026-01",
        version=1,
        generated_at=timezone.now(),
        generated_by=actor,
        reason="test",
        data=data,
        distributions={},
    )
    bulk.insert(MonthlyReport, [report], user_id=actor.pk, reason="test")
    assert MonthlyReport.objects.get(pk=report.pk).data == data
    assert MonthlyReport.history.get(id=report.pk).data == data
    if connection.vendor != "postgresql":
        return  # elsewhere `insert` is Django's bulk_create, not COPY
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT jsonb_typeof(data), data->'figures'->0->>'key', jsonb_typeof(distributions)"
            " FROM steering_monthlyreport WHERE id = %s",
            [report.pk],
        )
        assert cursor.fetchone() == ("object", "nätter", "object")
