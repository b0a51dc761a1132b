"""The case page's handover section written in Python (cases/handovers/presenters.py) is
byte for byte what its template wrote: tests/cases/handovers/reference_case_panel.html is
that template as it was. Both are given the case page's own section context, in both
languages, for handovers in every state (pending and seen, accepted, returned unseen, a
consultation closed) with unit and staff names to escape, and for a case with none."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import timezone, translation

from bokvar.models import Unit
from cases.models import Handover

from .conftest import send

pytestmark = pytest.mark.django_db
REFERENCE = (Path(__file__).parent / "reference_case_panel.html").read_text()


def _section_and_reference(client, user, case, language) -> tuple[str, str, dict | None]:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with translation.override(language):
        response = client.get(
            reverse("cases:detail", args=[case.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
        assert response.status_code == 200
        panel = next((p for p in response.context["panels"] if p["key"] == "handovers"), None)
        if panel is None:
            return "", "", None
        reference = engines["django"].from_string(REFERENCE).render({"panel": panel, "case": case})
    assert panel["html"] in response.content.decode()
    return panel["html"], reference, panel


@pytest.fixture
def handed_back_and_forth(cases, org, caseworker, caseworker2):
    income, adult = org.units[Unit.Kind.INCOME_SUPPORT], org.units[Unit.Kind.ADULT]
    Unit.objects.filter(pk=income.pk).update(name='Försörjning <&> "stöd"')
    caseworker2.first_name, caseworker2.last_name = "Åsa", "O'Brien & <Co>"
    caseworker2.save()
    # An early evening in summer and a morning in winter: local time moves with both.
    june, december = timezone.now().replace(month=6, day=3, hour=22, minute=5), None
    december = june.replace(month=12, day=1, hour=7, minute=9)
    states = [
        {
            "seen_at": december, "seen_by": caseworker2, "status": Handover.Status.ACCEPTED,
            "accepted_at": december + timedelta(minutes=3), "accepted_by": caseworker2,
        },
        # returned unseen
        {"status": Handover.Status.RETURNED, "returned_at": december, "returned_by": caseworker2},
        {
            "kind": Handover.Kind.CONSULTATION, "status": Handover.Status.CLOSED,
            "accepted_at": june, "accepted_by": caseworker2,
            "closed_at": december, "closed_by": caseworker2, "from_unit": adult,
        },
        {"seen_at": december, "seen_by": caseworker2},  # pending, seen
    ]  # fmt: skip
    made = []
    for i, state in enumerate(states):
        # One pending handover of a case at a time: each is moved on before the next.
        handover = send(cases.a, actor=caseworker, to_unit=income, reason=f"r{i}")
        Handover.objects.filter(pk=handover.pk).update(sent_at=june, **state)
        made.append(handover)
    return made


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_section_is_the_templates_byte_for_byte(
    client, cases, caseworker, handed_back_and_forth, language
):
    new, reference, panel = _section_and_reference(client, caseworker, cases.a, language)
    assert panel is not None and new == reference
    assert len(panel["handovers"]) == 4 and new.count("<tr><td><a href=") == 4
    assert "Försörjning &lt;&amp;&gt; &quot;stöd&quot;" in new
    assert "Åsa O&#x27;Brien &amp; &lt;Co&gt;" in new
    for h in handed_back_and_forth:
        assert reverse("cases:handover", args=[h.pk]) in new
    # Every moment in the reader's time zone, as the `date` filter moved it.
    local = timezone.localtime(Handover.objects.get(pk=handed_back_and_forth[1].pk).returned_at)
    assert local.strftime("%Y-%m-%d %H:%M") in new
    assert "<td>—</td>" in new  # a handover not seen
    assert ("Överlämningar" if language == "sv" else "Handovers") in new


@pytest.mark.parametrize("language", ["sv", "en"])
def test_without_handovers_the_section_has_its_buttons_only(client, cases, caseworker, language):
    new, reference, panel = _section_and_reference(client, caseworker, cases.a, language)
    assert panel is not None and not panel["handovers"] and panel["may_send"]
    assert new == reference
    assert "<table>" not in new and reverse("cases:handover_send", args=[cases.a.pk]) in new


def test_each_reader_sees_the_templates_buttons(client, org, cases):
    """The section as each of the demo's readers of case A gets it: the buttons differ
    by reader (handing over, asking for the case), the markup is the template's."""
    compared = []
    for username, user in sorted(org.users.items()):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        if client.get(reverse("cases:detail", args=[cases.a.pk])).status_code != 200:
            continue
        new, reference, panel = _section_and_reference(client, user, cases.a, "en")
        if panel is not None:
            assert new == reference, username
            compared.append((panel["may_send"], panel["may_request"]))
    assert {(True, False), (True, True)} <= set(compared), compared
