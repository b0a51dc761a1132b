"""The handover page's heading, facts and decision summary written in Python (cases/
handovers/presenters.py) are byte for byte what the page's template wrote: tests/cases/
handovers/reference_detail.html is that template as it was. Both render the page's own
context, in both languages: a pending transfer the reader may decide (its forms), one
taken and returned (the return's reason), a household with children and an eviction
threat (the summary's lines), texts with line breaks and characters to escape, and the
free text withheld from a reader not granted the protected household."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from bokvar.models import Unit
from cases.handovers.services import deciding
from cases.models import EvictionThreat, Handover
from tests.compared_templates import page_and_reference, render_page_both

from .conftest import send

pytestmark = pytest.mark.django_db
NEW, REFERENCE = page_and_reference(
    "cases/handovers/detail.html", Path(__file__).parent / "reference_detail.html"
)


def _both(client, user, handover, language) -> tuple[str, str]:
    url = reverse("cases:handover", args=[handover.pk])
    new, reference, context, response = render_page_both(
        client, user, url, language, NEW, REFERENCE
    )
    assert context["facts"] in response.content.decode()
    return new, reference


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_facts_are_the_templates_byte_for_byte(
    client, org, cases, caseworker, caseworker2, language
):
    income = org.units[Unit.Kind.INCOME_SUPPORT]
    Unit.objects.filter(pk=income.pk).update(name='Försörjning <&> "stöd"')
    EvictionThreat.objects.create(case=cases.a, arrears_notice_on=date(2026, 3, 2))
    handover = send(
        cases.a, actor=caseworker, to_unit=income,
        reason="Skulder <hos> Kronofogden\noch & hyra", expectations="",
    )  # fmt: skip
    new, reference = _both(client, caseworker2, handover, language)
    assert new == reference
    assert "Skulder &lt;hos&gt; Kronofogden<br>och &amp; hyra" in new
    assert "<dd>—</dd>" in new and 'action="' in new  # no expectations; the forms
    # Taken, then returned with a reason: the taker and the return's reason shown.
    Handover.objects.filter(pk=handover.pk).update(taken_by=caseworker2)
    deciding.return_handover(actor=caseworker2, handover_id=handover.pk, reason="Fel\nenhet")
    new, reference = _both(client, caseworker, handover, language)
    assert new == reference and "Fel<br>enhet" in new


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_protected_households_texts_are_withheld_as_the_template_did(
    client, org, cases, caseworker2, coordinator, language
):
    handover = send(
        cases.p, actor=coordinator, to_unit=org.units[Unit.Kind.INCOME_SUPPORT],
        reason="Hemlig adress nämnd",
    )  # fmt: skip
    new, reference = _both(client, caseworker2, handover, language)
    assert new == reference
    assert "Hemlig adress" not in new and 'class="protected"' in new
