"""The garbage collector's thresholds, set once when Django starts (`BokvarConfig.ready`).

Python's defaults (700, 10, 10) collect the youngest generation every 700 new objects and
move what survives two collections to the oldest generation. A page that builds many
objects (a statistics report holds 18 to 27 months of published tables, decoded from
JSON) survives dozens of young collections while it is being built, so its objects reach
the oldest generation alive, and every few such requests a full collection walks all of
them: at national scale 70–75 ms in the middle of one request in five (issue 22,
docs/performance.md, the thirteenth round). With a young generation of 50,000 objects a
request's objects are mostly gone before anything is collected; the cyclic garbage a
process may hold meanwhile stays bounded by the same number.

`BOKVAR_GC_THRESHOLDS` sets them (three whole numbers; empty: Python's own).
"""

from __future__ import annotations

import gc

from django.core.exceptions import ImproperlyConfigured

from .conf import setting


def thresholds() -> tuple[int, int, int] | None:
    """The configured thresholds, None for Python's own; a wrong value is refused at start."""
    values = list(setting("GC_THRESHOLDS"))
    if not values:
        return None
    if len(values) != 3 or any(v < 1 for v in values):
        raise ImproperlyConfigured(
            "BOKVAR_GC_THRESHOLDS takes three whole numbers above zero, e.g. 50000,20,20 "
            f"(got {values})"
        )
    return values[0], values[1], values[2]


def configure() -> None:
    chosen = thresholds()
    if chosen is not None:
        gc.set_threshold(*chosen)
