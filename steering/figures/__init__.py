"""Figure providers: one module per domain, each registering the figures it can count.

The statistics module (`steering.stats`) asks every registered figure for its
per-unit numbers and does everything else itself: district totals, the previous
period and the same period a year earlier, suppression, charts and exports. A
provider only counts, with aggregate queries (COUNT/SUM over plain, coarse
columns), never loading a person row or decrypting anything.

Modules in this package are imported automatically (see `load`), so adding a
figure is adding one module here that calls `register(Figure(...))`.

Providers now: `cases.py` (new, open and closed cases), `workflow.py` (landlord
signals, eviction threats by stage and outcome, children, days to the first contact),
`housing.py` (shelter nights and their cost, placements, takeovers, cost forecast) and
`handovers.py` (handovers per pair of units and the median hours until acknowledged).

How to add one, e.g. shelter nights:

    # steering/figures/housing.py
    from django.db.models import Count, Sum
    from housing.models import ShelterNight
    from . import Column, Figure, Scope, register

    def shelter_nights(scope: Scope) -> dict:
        rows = (ShelterNight.objects
                .filter(unit__district=scope.district, night__range=scope.dates)
                .values("unit_id").annotate(n=Count("id")).order_by())
        return {(r["unit_id"], "nights"): r["n"] for r in rows}

    register(Figure(key="shelter_nights", title=_("Shelter nights"),
                    description=_("…"), columns=(Column("nights", _("Nights")),),
                    compute=shelter_nights, order=60))

A money figure returns `{(unit_id, column): (sum_in_kronor, people)}` and sets
`money=True`. A median figure (`median=True`, e.g. days from a signal to the first
contact) returns `{unit_id: [durations]}`: a median does not add up to a district
total, so the district median is taken over all the units' durations, and a median
over fewer durations than the threshold is hidden with its count.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise

from bokvar.models import District, Unit

from ..periods import Period


@dataclass(frozen=True)
class Column:
    key: str
    label: Promise | str


@dataclass(frozen=True)
class Scope:
    """What a provider counts for: one district, its units, one period."""

    district: District
    units: tuple[Unit, ...]
    period: Period

    @property
    def start(self) -> date:
        return self.period.start

    @property
    def end(self) -> date:
        return self.period.end

    @property
    def dates(self) -> tuple[date, date]:
        return (self.period.start, self.period.end)


# A count figure returns {(unit_id, column_key): count};
# a money figure returns {(unit_id, column_key): (sum, people)}.
Compute = Callable[[Scope], dict]


@dataclass(frozen=True)
class Figure:
    key: str
    title: Promise | str
    description: Promise | str
    columns: tuple[Column, ...]
    compute: Compute
    # The columns are parts of a whole, so each row gets a total column.
    additive: bool = False
    money: bool = False
    order: int = 100
    # A sentence the steering group reads beside the figure, e.g. "The goal is zero."
    goal: Promise | str = ""
    # A median figure's provider returns {unit_id: [durations]} (numbers, never rows);
    # the statistics module computes each unit's and the district's median and hides a
    # median over fewer values than the threshold. Its columns are the median and n.
    median: bool = False
    # Things not yet tied to a unit (e.g. landlord signals not linked to a case):
    # `unassigned(period, district)` returns {column_key: count}. For a district they are
    # one more row of the table ("not yet assigned to a unit", inside the district total);
    # with `district=None`, what has no district at all, published in a row of its own
    # below the district total for the whole municipality.
    unassigned: Callable[[Period, District | None], dict] | None = None
    # Columns counting distinct people or households: {column_key: count} for the whole
    # district, counted with its own aggregate (a person in two units' rows counts once),
    # published as the district total instead of the sum of the units. For a money
    # figure: {column_key: people behind the district's sum}. No total column allowed.
    district_total: Callable[[Scope], dict] | None = None
    # A median per pair of units: the key of a count figure whose rows are the sending
    # units and columns the receiving ones; `compute` returns {(unit_id, column_key):
    # [durations]}. Each pair's count is that figure's published (suppressed) cell, and
    # its median is shown only with a published count and over at least the threshold.
    pairs_of: str | None = None


_registry: dict[str, Figure] = {}
_loaded = False


def register(figure: Figure) -> Figure:
    _registry[figure.key] = figure
    return figure


def load() -> None:
    """Import every provider module of this package once."""
    global _loaded
    if _loaded:
        return
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    _loaded = True


def get(key: str) -> Figure:
    load()
    return _registry[key]


def all_figures() -> list[Figure]:
    load()
    return sorted(_registry.values(), key=lambda f: (f.order, f.key))
