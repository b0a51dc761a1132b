"""simple-history's `Model.history` keeps its manager class (bokvar.history,
`keep_history_manager_classes`): the same class on every access, with the same methods
as the one simple-history makes, bound to the instance it is read from, and a save
writes its history row without making a class again."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.models.manager import BaseManager
from simple_history.manager import HistoricalQuerySet, HistoryManager

from bokvar.history import attribute, history_of
from bokvar.models import Unit

pytestmark = pytest.mark.django_db


def test_one_manager_class_per_model_with_simple_historys_methods(org):
    unit = org.units[Unit.Kind.ADULT]
    managers = [Unit.history, unit.history, history_of(Unit), Unit.history]
    assert len({type(manager) for manager in managers}) == 1
    made_by_simple_history = HistoryManager.from_queryset(HistoricalQuerySet)
    assert set(dir(type(managers[0]))) == set(dir(made_by_simple_history))
    assert type(Unit.history) is not type(org.users["caseworker"].history)


def test_the_manager_is_bound_to_the_instance_read_from(org):
    adult, income = org.units[Unit.Kind.ADULT], org.units[Unit.Kind.INCOME_SUPPORT]
    assert Unit.history.instance is None
    assert adult.history.instance is adult
    assert {row.id for row in adult.history.all()} == {adult.pk}
    assert {row.id for row in income.history.all()} == {income.pk}
    assert Unit.history.filter(id__in=[adult.pk, income.pk]).count() == (
        adult.history.count() + income.history.count()
    )


def test_a_save_writes_its_history_row_without_making_a_class(org):
    unit = org.units[Unit.Kind.ADULT]
    before = unit.history.count()
    with mock.patch.object(
        BaseManager, "_get_queryset_methods", wraps=BaseManager._get_queryset_methods
    ) as made:
        unit.name = "Vuxenenheten Nord"
        attribute(unit, user=org.users["admin"], reason="renamed").save()
        unit.history.first()
    assert made.call_count == 0
    latest = unit.history.first()
    assert unit.history.count() == before + 1
    assert (latest.name, latest.history_change_reason) == ("Vuxenenheten Nord", "renamed")
    assert latest.history_user_id == org.users["admin"].pk
