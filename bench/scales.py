"""Named data volumes. Proportions follow the seed documents: per district and year
about 140 eviction threats with several signals each, 80 homeless people, a few
thousand shelter nights, dozens of placements, handovers between units. These hold
for the `district` scale's district (660 cases over three years); the city's and the
country's districts are larger (2,500 and 13,200 cases), with proportionally more of
everything per district."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    districts: int
    units_per_district: int
    staff_per_unit: int
    cases_per_district: int
    signals_per_case: float
    shelter_nights_per_district: int
    placements_per_district: int
    access_log_per_case: int


SCALES = {
    "district": Scale("district", 1, 8, 3, 660, 4.0, 8_000, 60, 6),
    "city": Scale("city", 14, 8, 3, 2_500, 4.0, 40_000, 60, 6),
    # ~500,000 people and cases, 2 million signals, 5 million shelter nights,
    # ~2,000 users in ~300 units. Five cases in seven are eviction prevention with the
    # signals; some planned nights fall away (overlapping stays, none after today),
    # hence 140,000 planned for about 5 million in all.
    "national": Scale("national", 38, 8, 6, 13_200, 5.6, 140_000, 60, 4),
}
