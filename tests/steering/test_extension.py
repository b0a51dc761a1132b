"""Adding a figure is adding one provider to the list: a money figure, as housing will add,
goes through the same suppression (sums over fewer than 5 people hidden)."""

from __future__ import annotations

import pytest

from bokvar.models import Unit
from steering import figures, stats
from steering.figures import Column, Figure, Scope
from steering.periods import parse_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def money_figure(org, monkeypatch):
    adult, team = org.units[Unit.Kind.ADULT].pk, org.units[Unit.Kind.HOUSING_TEAM].pk

    def compute(scope: Scope) -> dict:
        if scope.period.key == "2026-03":
            # (sum in kronor, people): 3 people in the adult unit, 9 in the team.
            return {(adult, "nights"): (4200, 3), (team, "nights"): (27000, 9)}
        return {(team, "nights"): (30000, 10)}

    monkeypatch.setattr(
        figures,
        "FIGURES",
        [
            *figures.FIGURES,
            Figure(
                key="test_cost",
                title="Shelter cost",
                description="Test only",
                columns=(Column("nights", "Cost"),),
                compute=compute,
                money=True,
            ),
        ],
    )


def test_money_sum_over_few_people_is_hidden_with_its_partner(org, money_figure):
    report = stats.build_report(district=org.district, period=parse_period("2026-03"))
    fig = next(f for f in report["figures"] if f["key"] == "test_cost")
    assert fig["kind"] == "money"
    rows = {r["label"]: r["cells"][0] for r in fig["rows"]}
    adult = rows[org.units[Unit.Kind.ADULT].name]
    team = rows[org.units[Unit.Kind.HOUSING_TEAM].name]
    assert adult == {"value": None, "display": "–", "hidden": "primary", "people": None}
    # The district total minus the team would reveal the adult unit's sum: one more is hidden.
    assert team["value"] is None or fig["total"]["cells"][0]["value"] is None
    assert fig["comparison"][0]["previous"] == {
        "value": 30000,
        "display": "30000",
        "hidden": "",
        "people": 10,
    }
