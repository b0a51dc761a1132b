"""The core of the case work: people, households, cases, access grants, identity and
search, the case history shown on a case page. The other parts of `cases/` (evictions,
handovers) and the apps above build on it; it imports none of them."""
