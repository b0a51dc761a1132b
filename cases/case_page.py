"""What a case page shows, in order. Read this module to know; change it to change that.

- `FIRST_SCREEN`: what the case page shows first, above everything else, beside the
  household's names and the latest contacts (`LATEST_CONTACTS` of them): what a worker
  opening the case on a phone needs at once (issue 19, point 5).
- `SECTIONS`: the sections of the case page (`cases:detail`), below the case's own facts
  and its household, top to bottom. Each with a title is listed in the page's "on this
  page" navigation.
- `TIMELINE`: where the case's timeline comes from; the events are merged, newest first.
- `PERSON_SECTIONS`: the sections of a person's page (`cases:person`).
- `DECISION_SUMMARY`: the lines a unit sees of a case it is asked to take over, before
  it may see the case itself (a pending handover): enough to decide, not the record.
- `ROWS`: the lists of the case's rows the sections show (`cases.core.selectors.rows`),
  read together in one query when the page opens; each section asks for its lists by
  the same `CaseRows` and finds them read (issue 22, point 2: at most 20 queries).

A section is a template and a function `context(request, case)` that returns the
template's context, or None to leave the section out (e.g. for a user who may do
nothing there). The case history link names the audit app's page by URL name only, so
nothing of the audit app is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from bokvar.permissions import AuthenticatedRequest

from .core import history, presenters
from .core.selectors import cases as case_selectors
from .core.selectors import people as people_selectors
from .core.selectors import rows
from .core.selectors.people import withheld_text
from .core.selectors.rows import CaseRows
from .core.timeline import TimelineEvent
from .evictions import page as evictions_page
from .handovers import page as handovers_page

Context = Callable[[AuthenticatedRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Section:
    key: str
    # The section's template, given the context as `panel`; "" for a section whose
    # context writes its own markup as `html` (a presenter: issue 22, the template engine
    # was a third of the case page's CPU).
    template: str
    context: Context
    title: StrOrPromise = ""  # its entry in the page's "on this page" navigation (none if empty)


@dataclass(frozen=True)
class Slot:
    """A named place for a section of an app above cases (see `fill_slot`)."""

    name: str


def _history_link(request: AuthenticatedRequest, case: Any) -> dict:
    return {"html": presenters.history_section(case.pk)}


# The first screen is written in Python with the page's navigation
# (`presenters.overview_and_page_nav`): each of its sections gives its own markup (`html`).
FIRST_SCREEN: list[Section] = [
    Section("next_deadline", "", evictions_page.next_deadline),
]

LATEST_CONTACTS = 3  # contacts on the first screen; the timeline has them all
CONTACT_KINDS = ("contact",)  # the timeline events that are contacts with the household

SECTIONS: list[Section | Slot] = [
    Section(
        "eviction_threat",
        "cases/evictions/threat_panel.html",
        evictions_page.threat_panel,
        _("Eviction threat"),
    ),
    Section(
        "payment_route",
        "cases/evictions/payment_route_panel.html",
        evictions_page.payment_route_panel,
        _("Payment route"),
    ),
    Section("handovers", "", handovers_page.handover_panel, _("Handovers")),
    Slot("housing"),  # the household's housing chain and this year's cost (housing app)
    Slot("partners"),  # referrals to partner organisations (partners app)
    Section("audit-history", "", _history_link),
]

PERSON_SECTIONS: list[Section | Slot] = [
    Slot("housing"),  # the person's housing chain as a timeline (housing app)
]

TimelineSource = Callable[[AuthenticatedRequest, Any], Iterable[TimelineEvent]]

TIMELINE: list[TimelineSource | Slot] = [
    evictions_page.timeline,
    evictions_page.payment_route_timeline,
    handovers_page.timeline,
    Slot("partners"),  # the steps of referrals to partner organisations (partners app)
]

DECISION_SUMMARY: list[Callable[[Any], Iterable[tuple[str, str]]]] = [
    evictions_page.summary,
]

ROWS: list[CaseRows] = [
    people_selectors.MEMBERS,
    people_selectors.CHILDREN,
    case_selectors.ASSIGNMENTS,
    *evictions_page.ROWS,
    handovers_page.HANDOVERS,
    handovers_page.REQUESTING_UNITS,
    *history.ROWS,  # the latest changes (and the record before each)
    # + the upper apps' lists (`read_with_the_case`): placements, cost items, referrals
]


# --- Slots: sections of the apps above cases ----------------------------------------------
# A registry, kept because housing and partners sit above cases (bokvar ← cases ← housing,
# partners) and cases may not import them: they fill their named slots from their
# AppConfig.ready(). Apps inside
# cases are listed above by plain import; nothing else registers here.

_slots: dict[str, Section] = {}
_person_slots: dict[str, Section] = {}
_timeline_slots: dict[str, TimelineSource] = {}


def fill_slot(name: str, section: Section) -> None:
    """Put an upper app's section in the case page's slot `name`."""
    _fill(SECTIONS, _slots, name, section)


def fill_person_slot(name: str, section: Section) -> None:
    """Put an upper app's section in the person page's slot `name`."""
    _fill(PERSON_SECTIONS, _person_slots, name, section)


def read_with_the_case(rows: CaseRows) -> None:
    """Read an upper app's list of the case's rows with the page's others (`ROWS`)."""
    if rows in ROWS:  # registered already (an app made ready twice)
        return
    if rows.key in {r.key for r in ROWS}:
        raise ValueError(f"the case page already reads a list named {rows.key!r}")
    ROWS.append(rows)


def fill_timeline_slot(name: str, source: TimelineSource) -> None:
    """Put an upper app's timeline source in the timeline's slot `name`."""
    if Slot(name) not in TIMELINE:
        raise ValueError(f"the timeline has no slot named {name!r}")
    _timeline_slots[name] = source


def _fill(layout: list[Section | Slot], filled: dict[str, Section], name: str, section: Section):
    if Slot(name) not in layout:
        raise ValueError(f"the page has no slot named {name!r}")
    filled[name] = section


# --- What the views call ----------------------------------------------------------------


def read_rows(request: AuthenticatedRequest, case: Any) -> None:
    """Read every list the page shows (`ROWS`) in one query, kept for the request."""
    rows.read_together(request, case, ROWS)


def sections_for(request: AuthenticatedRequest, case: Any) -> list[dict]:
    return _contexts(SECTIONS, _slots, request, case)


def first_screen_for(request: AuthenticatedRequest, case: Any) -> list[dict]:
    return _contexts(list(FIRST_SCREEN), {}, request, case)


def latest_contacts(timeline: list[TimelineEvent]) -> list[TimelineEvent]:
    """The newest contacts of a timeline as `timeline_for` gave it (newest first, the
    text already withheld where the reader may not see it)."""
    return [e for e in timeline if e.kind in CONTACT_KINDS][:LATEST_CONTACTS]


def person_sections_for(request: AuthenticatedRequest, person: Any) -> list[dict]:
    return _contexts(PERSON_SECTIONS, _person_slots, request, person)


def _contexts(
    layout: list[Section | Slot],
    filled: dict[str, Section],
    request: AuthenticatedRequest,
    obj: Any,
) -> list[dict]:
    out = []
    for entry in layout:
        section = filled.get(entry.name) if isinstance(entry, Slot) else entry
        if section is None:  # an empty slot: its app is not installed
            continue
        context = section.context(request, obj)
        if context is not None:
            out.append(
                {
                    "key": section.key,
                    "template": section.template,
                    "title": section.title,
                    **context,
                }
            )
    return out


def timeline_for(request: AuthenticatedRequest, case: Any) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for entry in TIMELINE:
        source = _timeline_slots.get(entry.name) if isinstance(entry, Slot) else entry
        if source is not None:  # an empty slot: its app is not installed
            events.extend(source(request, case))
    if case_selectors.hides_household(request, case):  # `Sight.hides_case`, once a request
        # No free text about a household with a protected member the reader was not
        # granted: the entry stays (what happened, when), its text is withheld.
        events = [replace(e, detail=withheld_text(True, e.detail)) for e in events]
    return sorted(events, key=lambda e: e.sort_key, reverse=True)


def summary_for(case: Any) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for source in DECISION_SUMMARY:
        lines.extend(source(case))
    return lines
