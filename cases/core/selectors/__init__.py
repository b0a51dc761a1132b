"""Reads of people and cases, always scoped to what the user may see. One module per
concept: `cases`, `people`, and `history_access` (the audit app's way in)."""
