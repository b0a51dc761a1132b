"""Check constraints validated in one query (bokvar/constraints.py): the same errors as
Django's one query per constraint, for every model of the project that has several."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models
from django.db.models import CheckConstraint, Model
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bokvar import constraints
from bokvar.models import RoleGrant

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"bokvar", "cases", "housing", "partners", "audit", "steering"}


def models_with_checks() -> list[type[Model]]:
    return sorted(
        (
            model
            for model in apps.get_models()
            if model._meta.app_label in PROJECT_APPS
            and sum(type(c) is CheckConstraint for c in model._meta.constraints) > 1
        ),
        key=lambda model: model._meta.label,
    )


def some_value(field: models.Field, rng: random.Random) -> Any:
    """A value the field may hold, often one its checks refuse (None, 0, a negative)."""
    if field.choices:
        return rng.choice([None, "", *[value for value, _ in field.flatchoices]])
    if isinstance(field, models.ForeignKey):
        return rng.choice([None, 1, 2])
    if isinstance(field, models.BooleanField):
        return rng.choice([True, False])
    if isinstance(field, models.DecimalField):
        return rng.choice([None, Decimal("-1"), Decimal("0"), Decimal("12.50")])
    if isinstance(field, models.IntegerField):
        return rng.choice([None, -1, 0, 1, 7, 2026])
    if isinstance(field, models.DateTimeField):
        now = timezone.now()
        return rng.choice([None, now, now - timedelta(days=3), now + timedelta(days=3)])
    if isinstance(field, models.DateField):
        return rng.choice([None, date(2026, 1, 1), date(2026, 6, 30), date(2025, 12, 31)])
    if isinstance(field, models.CharField) and type(field) is models.CharField:
        return rng.choice(["", "x"])
    return getattr(field, "_no_change", None)


def an_instance(model: type[Model], rng: random.Random) -> Model:
    instance = model()
    for field in model._meta.concrete_fields:
        if field.primary_key or field.generated:
            continue
        value = some_value(field, rng)
        if value is not None or field.null or isinstance(field, models.ForeignKey):
            setattr(instance, field.attname, value)
    return instance


def savepoint(query: dict[str, str]) -> bool:
    return query["sql"].startswith("SAVEPOINT ")


def errors_of(validate: Any, instance: Model, exclude: set[str] | None) -> Any:
    try:
        validate(instance, exclude=exclude)
    except ValidationError as exc:
        return {
            field: [(e.message, e.code, e.params) for e in errors]
            for field, errors in exc.error_dict.items()
        }
    return None


def test_the_project_has_models_with_several_checks():
    labels = {model._meta.label for model in models_with_checks()}
    assert {"cases.EvictionThreat", "cases.PaymentRoute", "bokvar.RoleGrant"} <= labels


@pytest.mark.parametrize("model", models_with_checks(), ids=lambda m: m._meta.label)
def test_the_same_errors_as_one_query_per_constraint(model):
    """Random instances of every model with several checks, most of them refused by some
    check: the one query finds exactly the errors Django's own validation finds, with or
    without excluded fields, and sends one query for the checks where Django sends one for
    each."""
    rng = random.Random(model._meta.label)
    checks = [c for c in model._meta.constraints if type(c) is CheckConstraint]
    refused = 0
    for trial in range(12):
        instance = an_instance(model, rng)
        names = [f.name for f in model._meta.concrete_fields]
        exclude = set(rng.sample(names, 2)) if trial % 3 == 2 else None
        with CaptureQueriesContext(connection) as django_queries:
            expected = errors_of(constraints.django_validate_constraints, instance, exclude)
        with CaptureQueriesContext(connection) as our_queries:
            found = errors_of(constraints.validate_constraints, instance, exclude)
        assert found == expected
        refused += expected is not None
        if exclude is None:
            # Django: a savepoint for each check (and its SELECT, unless the condition is
            # known without one); here one savepoint and one SELECT for them all. Other
            # constraints (a unique one with a condition) keep their own.
            saved = sum(map(savepoint, django_queries)) - sum(map(savepoint, our_queries))
            assert saved == len(checks) - 1
            assert sum("_bokvar_check_" in q["sql"] for q in our_queries) == 1
    assert refused  # the instances did reach the checks' errors


def test_a_failing_query_falls_back_to_each_constraint(monkeypatch):
    """If the combined query cannot run, each constraint is asked on its own: the same
    answer as Django's, never a pass by default."""
    instance = RoleGrant(user_id=1, requested_by_id=1, approved_by_id=1, unit_id=1, role="lead")
    original = SQLCompiler.execute_sql

    def refuse_combined(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        if "_bokvar_check_0" in self.query.annotations:
            raise DatabaseError("refused")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "execute_sql", refuse_combined)
    expected = errors_of(constraints.django_validate_constraints, instance, None)
    assert expected is not None
    assert errors_of(constraints.validate_constraints, instance, None) == expected


def test_installed_for_every_model():
    assert Model.validate_constraints is constraints.validate_constraints
    assert RoleGrant().validate_constraints.__func__ is constraints.validate_constraints
