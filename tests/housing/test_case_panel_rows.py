"""The housing section's shelter nights written in Python (housing/presenters.py) are byte
for byte what the template's loop wrote: tests/housing/reference_case_panel.html is the
section's template as it was. Both render the case page's own section context, in both
languages, for a reader who may remove a night and one who may not, with a cost in the
thousands (grouped) and a shelter's name to escape."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from cases.core.services.access import grant_perm
from housing import presenters
from housing.models import Shelter, ShelterNight, ShelterPrice
from tests.compared_templates import page_and_reference, render_both
from tests.factories import UserFactory, member

from .test_case_costs import _jan, _night

pytestmark = pytest.mark.django_db
TOKEN = '<input type="hidden" name="csrfmiddlewaretoken" value="T">'
NEW, REFERENCE = page_and_reference(
    "housing/case_panel.html", Path(__file__).parent / "reference_case_panel.html"
)


def _both(client, user, case, language) -> tuple[str, str, dict]:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with translation.override(language):
        response = client.get(
            reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        panel = next(p for p in response.context["panels"] if p["key"] == "housing")
        request = RequestFactory().get(reverse("cases:detail", args=[case.pk]))
        request.user = user
        # The rows with the token the template's {% csrf_token %} is given here.
        panel = panel | {
            "night_rows": presenters.night_rows(
                panel["nights"], case_id=case.pk, may_remove=panel["may_remove"], csrf_input=TOKEN
            )
        }
        context = {"panel": panel, "case": case, "csrf_token": "T"}
        new, reference = render_both(NEW, REFERENCE, context, request)
    return new, reference, panel


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_nights_are_the_templates_byte_for_byte(
    client, org, cases, shelter, coordinator, language
):
    shelter.name = 'Härbärget "Navet" & <Bo>'
    shelter.save()
    other = Shelter.objects.create(name="Jourboendet <Tre>", district=org.district)
    ShelterPrice.objects.create(
        shelter=other, valid_from=date(2008, 1, 1), price_per_night=Decimal("75")
    )
    for day in (1, 2, 3):
        _night(cases.a, shelter, coordinator, org, on=_jan(day))
    _night(cases.a, other, coordinator, org, on=_jan(4))
    # Costs and shelters that repeat and alternate: each is formatted once for the rows.
    ShelterNight.objects.filter(night=_jan(2)).update(cost=Decimal("12500.50"))
    new, reference, panel = _both(client, coordinator, cases.a, language)
    assert new == reference
    assert panel["may_remove"] and len(panel["nights"]) == 4
    assert "Härbärget &quot;Navet&quot; &amp; &lt;Bo&gt;" in new
    rows = panel["night_rows"].split("</tr>")
    assert '<td>Jourboendet &lt;Tre&gt;</td><td class="num">75</td>' in rows[0]  # newest first
    assert all("<td>Härbärget &quot;Navet&quot; &amp; &lt;Bo&gt;</td>" in r for r in rows[1:4])
    assert reverse("housing:night_remove", args=[cases.a.pk, panel["nights"][0].pk]) in new
    assert "12\xa0500,5" in new or "12,500.5" in new  # grouped in the reader's format
    # A reader who may see the nights but not remove them: no forms, still byte for byte.
    reader = member(UserFactory(username="reader"), org.units["income_support"], "caseworker")
    grant_perm("cases.view_case", reader, cases.a, actor=coordinator, reason="test")
    new, reference, panel = _both(client, reader, cases.a, language)
    assert new == reference
    assert not panel["may_remove"] and "<form" not in new.split("<tbody>")[-1]
    # No nights at all: the section as before.
    new, reference, panel = _both(client, coordinator, cases.b, language)
    assert new == reference and not panel["nights"]
