"""The case page's own sections written in Python (cases/core/presenters.py: the case's
facts, its household, its timeline and changes) are byte for byte what the template
wrote: tests/cases/core/reference_case_detail.html is the page's template as it was.
Both render the page's own context, in both languages: a reader who may write and one
who may not, a case with everything (children, a long timeline, changes of every kind),
a protected household seen without its grant, a closed case, and names to escape."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.core.services.access import grant_perm
from cases.evictions.services import contacts
from cases.models import Case, Person
from tests.cases.core.test_queries import _case_with_history
from tests.compared_templates import page_and_reference, render_page_both

pytestmark = pytest.mark.django_db
NEW, REFERENCE = page_and_reference(
    "cases/case_detail.html", Path(__file__).parent / "reference_case_detail.html"
)


def _both(client, user, case, language) -> tuple[str, str]:
    url = reverse("cases:detail", args=[case.pk])
    new, reference, _context, _response = render_page_both(
        client, user, url, language, NEW, REFERENCE
    )
    return new, reference


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_sections_are_the_templates_byte_for_byte(client, org, make_case, language):
    case = _case_with_history(org, make_case, 6, "Sektion")
    head = Person.objects.filter(household_id=case.household_id).order_by("id").first()
    head.given_name, head.family_name = '<b>"Åsa"</b>', "O'Neil & Co"
    head.address = "Gatan 1\n113 30 Stockholm <3"
    head.save()
    # The newest contact on the first screen: its note cut at 140 characters, escaped.
    contacts.record_contact(
        actor=org.users["caseworker"], case_id=case.pk, kind="call",
        on=timezone.localdate(), reached=True, note="<Ringde> & " + "lång anteckning " * 12,
    )  # fmt: skip
    new, reference = _both(client, org.users["caseworker"], case, language)
    assert new == reference
    first_screen = new[new.index('id="latest-contacts"') : new.index('class="page-nav"')]
    assert "&lt;Ringde&gt; &amp; lång" in first_screen and "…" in first_screen
    assert "&lt;b&gt;&quot;Åsa&quot;&lt;/b&gt;" in new and "<br>" in new
    assert new.count('<article class="card"') == 7
    timeline = new[new.index('id="timeline"') : new.index('id="changes"')]
    assert timeline.count('<ol class="timeline">') == 2  # over eight events: the rest folded
    # A reader who may read the case but not write it: no buttons, no edit links.
    reader = org.users["caseworker2"]
    grant_perm("cases.view_case", reader, case, actor=org.users["coordinator"], reason="test")
    new, reference = _both(client, reader, case, language)
    assert new == reference
    assert reverse("cases:edit", args=[case.pk]) not in new


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_small_protected_or_closed_case_is_the_templates_byte_for_byte(
    client, org, cases, language
):
    # The protected household, read by someone not granted its member: the placeholder.
    new, reference = _both(client, org.users["coordinator"], cases.p, language)
    assert new == reference
    # No children, no timeline, a closed case with its outcome.
    Case.objects.filter(pk=cases.g.pk).update(
        status="closed", outcome="other", closed_on=cases.g.opened_on
    )
    new, reference = _both(client, org.users["coordinator"], cases.g, language)
    assert new == reference
