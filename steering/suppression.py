"""The disclosure control moved to the kernel (`bokvar.suppression`) so that the partners
app's survey results use the same rule; this name stays for steering's own modules."""

from bokvar.suppression import (
    PRIMARY,
    SECONDARY,
    WITHHELD,
    Cell,
    Grid,
    build_grid,
    change_percent,
    determined_cells,
    pinned_cells,
    primary_cells,
    reduced_basis,
    share_percent,
    suppress,
    threshold,
)

__all__ = [
    "PRIMARY",
    "SECONDARY",
    "WITHHELD",
    "Cell",
    "Grid",
    "build_grid",
    "change_percent",
    "determined_cells",
    "pinned_cells",
    "primary_cells",
    "reduced_basis",
    "share_percent",
    "suppress",
    "threshold",
]
