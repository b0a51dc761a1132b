"""The triage queue's rows written in Python (cases/evictions/presenters.py) are byte for
byte what the template's loop wrote: tests/cases/evictions/reference_signal_queue.html is
the page's template as it was. Both render the same queue, in both languages, with
signals of every kind of row: a repeat count, missing misconduct steps, a withheld
tenant, a named one, one known by number only, an unknown one, and text to escape."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import translation

from cases.evictions import presenters, selectors
from tests.compared_templates import page_and_reference, render_both

from .conftest import OTHER_PN
from .conftest import receive as _receive

pytestmark = pytest.mark.django_db
NEW, REFERENCE = page_and_reference(
    "cases/evictions/signal_queue.html", Path(__file__).parent / "reference_signal_queue.html"
)


@pytest.fixture
def queue(org, landlord, other_landlord):
    first = _receive(landlord, days_ago=9)
    _receive(landlord, days_ago=8, kind="disturbance")  # a repeat of the first
    _receive(landlord, days_ago=7, kind="other")  # and another
    _receive(
        other_landlord, days_ago=6, kind="disturbance", name='<b>"Ö&Å"</b>', personal_number=""
    )
    _receive(other_landlord, days_ago=5, kind="neglect", name="", personal_number=OTHER_PN)
    _receive(other_landlord, days_ago=4, kind="missed_payment", name="", personal_number="")
    rows = selectors.mark_withheld(
        org.users["coordinator"], selectors.triage_queue_rows(org.users["coordinator"])
    )
    assert first.pk in {s.pk for s in rows}
    rows[-1].withheld = True  # as for a protected tenant (tests/.../test_protected_signals.py)
    return rows


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_rows_are_the_templates_byte_for_byte(org, queue, language):
    request = RequestFactory().get("/cases/signals/")
    request.user = org.users["coordinator"]
    with translation.override(language):
        context = {
            "signals": queue,
            "signal_rows": presenters.signal_queue_rows(queue),
            "csrf_token": "TOKEN",  # the same in both: Django masks each anew
        }
        new, reference = render_both(NEW, REFERENCE, context, request)
    assert new == reference
    assert new.count("<tr>") == len(queue) + 1 >= 5
    assert "&lt;b&gt;&quot;Ö&amp;Å&quot;&lt;/b&gt;" in new
    assert 'class="hint">(' in new and "disturbance-warning-" in new
    assert 'class="tag protected"' in new


def test_an_empty_queue_says_so(org):
    request = RequestFactory().get("/cases/signals/")
    request.user = org.users["coordinator"]
    context = {"signals": [], "signal_rows": presenters.signal_queue_rows([]), "csrf_token": "T"}
    new, reference = render_both(NEW, REFERENCE, context, request)
    assert new == reference
    assert "<table>" not in new
