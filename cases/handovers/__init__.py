"""Handovers between units: a case sent (transfer, consultation, or a unit's request),
received, accepted or returned with a reason, escalated when nobody decides. Builds on
the core (`cases.core`); never imports evictions (the decision summary's lines come
through cases/case_page.py)."""
