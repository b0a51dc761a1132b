"""The signal page's heading, warning of missing misconduct steps and facts written in
Python (cases/evictions/presenters.py, `signal_facts`) are byte for byte what the page's
template wrote: tests/cases/evictions/reference_signal_detail.html is that template as
it was. Both render the page's own context, in both languages, for signals of every
kind of fact: rent arrears with an amount, misconduct with its steps known, unknown and
missing (the warning), a particularly serious disturbance, a repeat of an untriaged
signal, one linked to a case with days to first contact, one dismissed with a reason,
texts with line breaks and characters to escape, nothing known of the tenant, and the
tenant withheld from a reader not granted the protected person it names."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.evictions.services import triage
from cases.models import LandlordSignal, Person, ProtectedIdentity
from tests.case_fixtures import person
from tests.compared_templates import page_and_reference, render_page_both

from .conftest import OTHER_PN, receive

pytestmark = pytest.mark.django_db
NEW, REFERENCE = page_and_reference(
    "cases/evictions/signal_detail.html", Path(__file__).parent / "reference_signal_detail.html"
)


def _both(client, user, signal, language) -> str:
    url = reverse("cases:signal", args=[signal.pk])
    new, reference, context, response = render_page_both(
        client, user, url, language, NEW, REFERENCE
    )
    assert new == reference
    assert context["facts"] in response.content.decode()
    return new


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_facts_are_the_templates_byte_for_byte(
    client, org, landlord, coordinator, make_case, language
):
    arrears = receive(
        landlord, days_ago=3, arrears_amount=Decimal("1234567.50"), address="Gatan 1 <b>",
        description='Skuld <script>\n& "hyra"',
    )  # fmt: skip
    page = _both(client, coordinator, arrears, language)
    assert "Skuld &lt;script&gt;<br>&amp; &quot;hyra&quot;" in page
    # A repeat of it, from the same landlord, while the first waits for triage.
    repeat = receive(landlord, days_ago=1, kind="other", description="")
    assert repeat.repeat_of_id == arrears.pk
    page = _both(client, coordinator, repeat, language)
    assert reverse("cases:signal", args=[arrears.pk]) in page and "<dd>—</dd>" in page
    # Misconduct, steps unknown: the warning lists both; then one known, with its date.
    for steps in (
        {},
        {"landlord_warned_tenant": True, "landlord_warned_tenant_on": date(2026, 10, 2)},
        {"landlord_warned_tenant": False, "landlord_notified_board": True,
         "landlord_notified_board_on": date(2026, 10, 9)},
        {"particularly_serious": True, "landlord_notified_board": False},
    ):  # fmt: skip
        misconduct = receive(landlord, kind="disturbance", personal_number="", name="", **steps)
        page = _both(client, coordinator, misconduct, language)
        assert 'id="misconduct-warned"' in page
    assert 'id="disturbance-warning"' in page


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_triaged_signal_shows_its_case_or_its_reason_as_the_template_did(
    client, org, landlord, other_landlord, coordinator, make_case, language
):
    case = make_case()
    linked = receive(landlord, days_ago=2)
    LandlordSignal.objects.filter(pk=linked.pk).update(
        case=case, status="linked", first_contact_days=12
    )
    page = _both(client, coordinator, linked, language)
    assert reverse("cases:detail", args=[case.pk]) in page
    dismissed = receive(other_landlord, days_ago=40, kind="neglect")
    triage.dismiss_signal(
        actor=coordinator,
        signal_id=dismissed.pk,
        expected_version=dismissed.version,
        reason="Betald <helt> & klart",
    )
    page = _both(client, coordinator, dismissed, language)
    assert "Betald &lt;helt&gt; &amp; klart" in page


@pytest.mark.parametrize("language", ["sv", "en"])
def test_a_protected_tenant_is_withheld_as_the_template_did(
    client, org, other_landlord, coordinator, make_case, language
):
    make_case(people=[person("Tove", "Hyresgästsson", OTHER_PN)])
    tenant = next(p for p in Person.objects.all() if p.personal_number == OTHER_PN)
    Person.objects.filter(pk=tenant.pk).update(
        protected_identity=ProtectedIdentity.PROTECTED_REGISTRATION,
        protected_identity_noted_on=timezone.localdate() - timedelta(days=1),
    )
    signal = receive(other_landlord, personal_number=OTHER_PN, address="Hemlig gata 3")
    page = _both(client, coordinator, signal, language)
    assert 'class="protected"' in page and "Hemlig gata" not in page
