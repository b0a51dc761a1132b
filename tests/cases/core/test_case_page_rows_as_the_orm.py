"""The case page's lists read together in one statement (`rows.read_together`, arrays of
JSON rows) become the same instances the ORM makes of each list read alone
(`CaseRows.read`): every column's value and type (decrypted text, dates, timestamps,
decimals at their scale), the annotations, and the related rows `select_related`
caches, for every list the page reads and readers of two roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.models import Model

from cases import case_page
from cases.core.selectors import rows
from tests.cases.core.test_queries import _case_with_history

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SQLite reads each list alone (read_together)"
    ),
]


class _Request:
    def __init__(self, user: Any) -> None:
        self.user = user


def _described(obj: Model, tree: dict[str, Any]) -> dict[str, Any]:
    """Every column's value with its type, and the cached related rows along `tree`."""
    out: dict[str, Any] = {
        field.attname: (type(getattr(obj, field.attname)), getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
    }
    for name, below in tree.items():
        field: Any = obj._meta.get_field(name)
        assert field.is_cached(obj), f"{type(obj).__name__}.{name} was not read with it"
        related = field.get_cached_value(obj)
        out[name] = None if related is None else _described(related, below)
    return out


@pytest.mark.parametrize("username", ["caseworker", "coordinator"])
def test_every_list_read_together_is_what_the_orm_makes_of_it(org, make_case, username):
    case = _case_with_history(org, make_case, 2, "Lika")
    reader = org.users[username]
    rows._STATEMENTS.clear()
    for attempt in ("compiled", "kept"):  # the statement compiled, then run as kept
        together, alone = _Request(reader), _Request(reader)
        rows.read_together(together, case, case_page.ROWS)
        assert rows._STATEMENTS, "the statement was kept"
        compared = 0
        for case_rows in case_page.ROWS:
            made = case_rows.for_page(together, case)
            read = case_rows.read(alone, case)
            assert len(made) == len(read), (attempt, case_rows.key)
            annotations = list(case_rows.rows(alone, rows._value_of(case)).query.annotation_select)
            tree = rows._tree(case_rows.related)
            for ours, orms in zip(made, read, strict=True):
                if case_rows.values:  # tuples of values, as `values_list` gives them
                    assert ours == orms, (attempt, case_rows.key)
                    assert [type(v) for v in ours] == [type(v) for v in orms], case_rows.key
                    compared += 1
                    continue
                assert type(ours) is type(orms), (attempt, case_rows.key)
                assert _described(ours, tree) == _described(orms, tree), (attempt, case_rows.key)
                for name in annotations:
                    assert getattr(ours, name) == getattr(orms, name), (case_rows.key, name)
                assert ours._state.adding is False and ours._state.db == orms._state.db
                compared += 1
        # The history has rows in most lists: the comparison is not of empty lists.
        assert compared > 20, compared


def test_value_lists_are_the_orms_values(org, make_case):
    """The lists read as values come as the ORM's `values_list`, not instances: the
    household's nights as (id, night, cost, shelter name) (`housing.forecast.NIGHT`),
    the housing chain's as (night, shelter name)."""
    from housing import forecast, panel
    from housing.models import ShelterNight

    case = _case_with_history(org, make_case, 3, "Delad")
    request = _Request(org.users["caseworker"])
    rows.read_together(request, case, case_page.ROWS)
    nights = panel.NIGHTS.for_page(request, case)
    expected = list(
        ShelterNight.objects.filter(person__household_id=case.household_id)
        .order_by("-night", "-id")
        .values_list(*forecast.NIGHT)
    )
    assert len(nights) == 3 and nights == expected
    assert {night[3] for night in nights} == {"Härbärget"}
    stays = panel.CHAIN_NIGHTS.for_page(request, case)
    assert stays == [(night[1], "Härbärget") for night in sorted(nights, key=lambda n: n[1])]
