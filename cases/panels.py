"""What the case page is made of. Apps add panels and timeline events here, so the
case page grows without one template knowing every app (cases ← housing)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.http import HttpRequest


@dataclass(frozen=True)
class TimelineEvent:
    when: date | datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""
    is_deadline: bool = False

    @property
    def sort_key(self):
        when = self.when
        return when.date() if isinstance(when, datetime) else when


@dataclass(frozen=True)
class Panel:
    key: str
    order: int
    template: str
    # Returns the panel's context, or None to leave the panel out.
    context: Callable[[HttpRequest, object], dict | None]


@dataclass
class Registry:
    panels: dict[str, Panel] = field(default_factory=dict)
    # Panels of a person's page: context(request, person).
    person_panels: dict[str, Panel] = field(default_factory=dict)
    timeline: dict[str, Callable[[HttpRequest, object], Iterable[TimelineEvent]]] = field(
        default_factory=dict
    )


registry = Registry()


def register_panel(panel: Panel) -> None:
    registry.panels[panel.key] = panel


def register_person_panel(panel: Panel) -> None:
    registry.person_panels[panel.key] = panel


def person_panels_for(request: HttpRequest, person) -> list[dict]:
    return _contexts(registry.person_panels, request, person)


def register_timeline(
    key: str, provider: Callable[[HttpRequest, object], Iterable[TimelineEvent]]
) -> None:
    registry.timeline[key] = provider


def panels_for(request: HttpRequest, case) -> list[dict]:
    return _contexts(registry.panels, request, case)


def _contexts(panels: dict[str, Panel], request: HttpRequest, obj) -> list[dict]:
    out = []
    for panel in sorted(panels.values(), key=lambda p: (p.order, p.key)):
        ctx = panel.context(request, obj)
        if ctx is not None:
            out.append({"key": panel.key, "template": panel.template, **ctx})
    return out


def timeline_for(request: HttpRequest, case) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for provider in registry.timeline.values():
        events.extend(provider(request, case))
    return sorted(events, key=lambda e: e.sort_key, reverse=True)


# --- Decision summaries ---------------------------------------------------------------
# What a unit sees of a case it has not yet accepted (e.g. a pending handover): enough
# to decide, not the full record. Each provider returns (label, value) lines.

SummaryProvider = Callable[[object], Iterable[tuple[str, str]]]
summary_providers: dict[str, SummaryProvider] = {}


def register_summary(key: str, provider: SummaryProvider) -> None:
    summary_providers[key] = provider


def summary_for(case) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for key in sorted(summary_providers):
        lines.extend(summary_providers[key](case))
    return lines
