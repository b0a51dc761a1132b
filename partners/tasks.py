"""No background tasks: tallies are entered by hand or posted by a place's own system,
and the annual report is computed when it is read (a fixed handful of aggregate queries)."""
