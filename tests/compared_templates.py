"""A page's template now and as it was (a reference kept beside the test), rendered with
the same context and request: the byte-for-byte checks of the rows written in Python
(issue 22)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template import engines

ROOT = Path(__file__).resolve().parents[1]


def page_and_reference(template: str, reference: Path) -> tuple[str, str]:
    """The sources of templates/`template` and of the reference file."""
    return (ROOT / "templates" / template).read_text(), reference.read_text()


def render_both(new: str, reference: str, context: dict[str, Any], request: Any) -> tuple[str, str]:
    engine = engines["django"]
    return (
        engine.from_string(new).render(context, request),
        engine.from_string(reference).render(context, request),
    )
