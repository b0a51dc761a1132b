"""Statistics for any period (issue 22, point 4): a quarter, a year or a year to date is
made from its months' stored partial sums wherever the figure allows (`over_time=SUM`),
so a first request for a period not computed before adds stored months instead of
counting the period afresh. That is only right if every such figure really adds up over
months: this checks, figure by figure, that the months' counts add up to the count of
the whole period made from scratch, and that what the page publishes for the period is
that sum (suppression applied to the final figures)."""

from __future__ import annotations

import pytest

from bokvar.models import District
from steering import snapshots, stats
from steering.figures import SUM, Scope, all_figures
from steering.periods import parse_period, ytd

pytestmark = pytest.mark.django_db

PERIODS = [parse_period("2026-Q1"), ytd(2026, 3), parse_period("2025"), ytd(2025, 4)]


def _additive(fig) -> bool:
    return fig.over_time == SUM and not fig.median and fig.pairs_of is None


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: p.key)
def test_months_add_up_to_the_period_counted_from_scratch(org, stats_cases, period):
    district = District.objects.get(pk=org.district.pk)
    units = stats.district_units(district)
    figures = [fig for fig in all_figures() if _additive(fig)]
    assert {"new_cases", "closed_cases", "shelter_nights"} <= {f.key for f in figures}
    nonzero = 0
    for fig in figures:
        whole, _people = stats._raw(fig, Scope(district=district, units=units, period=period))
        months = [
            stats._raw(fig, Scope(district=district, units=units, period=m))[0]
            for m in period.month_periods()
        ]
        summed = [
            [sum(month[r][c] for month in months) for c in range(len(row))]
            for r, row in enumerate(whole)
        ]
        assert summed == whole, fig.key
        nonzero += sum(map(sum, whole))
    if period.start.year == 2026:
        assert nonzero > 0  # the fixture has cases in these months: the check says something


def test_a_period_not_stored_is_published_as_the_sum_of_its_published_months(org, stats_cases):
    district = District.objects.get(pk=org.district.pk)
    quarter = parse_period("2026-Q1")
    source = snapshots.published_tables(district)
    tables = stats.period_tables(district=district, period=quarter, tables=source)
    afresh = stats.period_tables(
        district=district, period=quarter, tables=stats.fresh_tables(district)
    )
    assert tables["figures"] == afresh["figures"]
    new = next(f for f in tables["figures"] if f["key"] == "new_cases")
    # 7 in February (housing team) and 8 in March (adult unit): the district total.
    assert new["total"]["cells"][-1]["display"] == "15"
