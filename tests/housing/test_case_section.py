"""The case page's housing section written in Python (housing/presenters.py) is byte for
byte what its template wrote: tests/housing/reference_case_panel.html is that template as
it was. Both are given the case page's own section context, in both languages: a reader
who may remove a night or a cost and one who may not, nights at two shelters with a cost
in the thousands (grouped), a cost item, a placement ended and one going on, the chain,
the forecast, a protected household's note withheld, and names to escape."""

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
from tests.compared_templates import render_both
from tests.factories import UserFactory, member

from .test_case_costs import _cost, _jan, _night

pytestmark = pytest.mark.django_db
TOKEN = '<input type="hidden" name="csrfmiddlewaretoken" value="T">'
REFERENCE = (Path(__file__).parent / "reference_case_panel.html").read_text()


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
        # The markup with the token the template's {% csrf_token %} is given here.
        assert panel["html"] in response.content.decode()
        panel = panel | {
            "night_rows": presenters.night_rows(
                panel["nights"], case_id=case.pk, may_remove=panel["may_remove"], csrf_input=TOKEN
            )
        }
        new = presenters.case_section(panel, case_id=case.pk, csrf_input=TOKEN)
        context = {"panel": panel, "case": case, "csrf_token": "T"}
        _same, reference = render_both(REFERENCE, REFERENCE, context, request)
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


@pytest.mark.parametrize("language", ["sv", "en"])
def test_costs_placements_chain_and_forecast_are_the_templates_byte_for_byte(
    client, org, cases, shelter, coordinator, language
):
    from housing.models import Apartment, CostCategory, CostItem, Placement

    CostCategory.objects.get_or_create(name='Sanering <&> "städ"')
    _night(cases.a, shelter, coordinator, org, on=_jan(2))
    _cost(cases.a, coordinator, amount="12500.50", note='Städning <efter> "brand" & rök')
    _cost(cases.a, coordinator, amount="99", note="")
    CostItem.objects.filter(case=cases.a, amount=Decimal("99")).update(
        category=CostCategory.objects.get(name='Sanering <&> "städ"')
    )
    flats = [
        Apartment.objects.create(
            district=org.district, kind=kind, address="Gatan 2", reference=reference,
            rent=Decimal("5000"), status_since=_jan(1),
        )
        for kind, reference in (("training", "T-1 <a>"), ("trial", "P&2"))
    ]  # fmt: skip
    Placement.objects.create(
        apartment=flats[0], case=cases.a, household_id=cases.a.household_id,
        start_on=_jan(3), end_on=_jan(20), outcome=Placement.Outcome.MOVED_ON,
        monthly_cost=Decimal("4000"), plan="",
    )  # fmt: skip
    Placement.objects.create(
        apartment=flats[1], case=cases.a, household_id=cases.a.household_id,
        start_on=_jan(21), monthly_cost=Decimal("4000"), plan="",
    )  # fmt: skip
    new, reference, panel = _both(client, coordinator, cases.a, language)
    assert new == reference
    assert len(panel["cost_items"]) == 2 and len(panel["placements"]) == 2
    assert len(panel["chain"]) >= 3 and panel["forecast"].so_far
    assert "T-1 &lt;a&gt;" in new and "P&amp;2" in new
    assert "Städning &lt;efter&gt; &quot;brand&quot; &amp; rök" in new
    assert "Sanering &lt;&amp;&gt; &quot;städ&quot;" in new
    assert reverse("housing:placement_new", args=[cases.a.pk]) in new or not panel["may_place"]
    # A reader who may see the case but not write it: no buttons, no removal forms.
    reader = member(UserFactory(username="reader2"), org.units["income_support"], "caseworker")
    grant_perm("cases.view_case", reader, cases.a, actor=coordinator, reason="test")
    new, reference, panel = _both(client, reader, cases.a, language)
    assert new == reference and not panel["may_write_housing"] and "<form" not in new


def test_a_protected_households_cost_note_is_withheld_as_the_template_did(
    client, org, cases, coordinator
):
    _cost(cases.p, coordinator, note="Hemlig adress nämnd")
    withheld = []
    for user in (coordinator, org.users["caseworker"]):
        new, reference, panel = _both(client, user, cases.p, "sv")
        assert new == reference
        withheld.append(panel["withheld"])
        assert ("Hemlig adress" in new) != panel["withheld"]
    assert True in withheld
