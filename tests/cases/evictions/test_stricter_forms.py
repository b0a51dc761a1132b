"""Stricter forms (issue 19, point 7): no preselected kind where the choice matters,
maximum lengths, no future dates for what has happened, interventions with a status and
an outcome, landlords by name."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.evictions.services import contacts, landlords
from cases.models import Contact, Intervention

pytestmark = pytest.mark.django_db

OPTION = re.compile(r"<option value=\"([^\"]*)\"([^>]*)>")


def chosen(body: str, name: str) -> str:
    """What a browser sends for the select as shown: the selected option, else the first."""
    select = re.search(rf'<select name="{name}".*?</select>', body, re.S)
    assert select, f"no select {name}"
    options = OPTION.findall(select[0])
    picked = [value for value, rest in options if re.search(r"\bselected\b", rest)]
    return (picked or [options[0][0]])[0]


def today() -> date:
    return timezone.localdate()


@pytest.mark.parametrize(
    "url_name, field",
    [
        ("cases:intervention_new", "kind"),
        ("cases:intervention_new", "status"),
        ("cases:contact_new", "kind"),
    ],
)
def test_no_kind_is_chosen_for_the_user(login, coordinator, cases, url_name, field):
    body = login(coordinator).get(reverse(url_name, args=[cases.a.pk])).content.decode()
    assert chosen(body, field) == ""


def test_an_untouched_intervention_form_records_nothing(login, coordinator, cases):
    """Saving the form as shown recorded "Ansökan om försörjningsstöd" before."""
    client = login(coordinator)
    url = reverse("cases:intervention_new", args=[cases.a.pk])
    page = client.get(url).content.decode()
    untouched = {"on": today().isoformat(), "note": ""}
    untouched |= {name: chosen(page, name) for name in ("kind", "status") if name in page}
    response = client.post(url, untouched)
    assert response.status_code != 302
    errors = response.context["form"].errors
    assert "kind" in errors and "status" in errors
    assert not Intervention.objects.filter(case=cases.a).exists()


def test_the_signal_and_handover_forms_choose_no_kind(login, coordinator, cases):
    client = login(coordinator)
    body = client.get(reverse("cases:signal_new")).content.decode()
    assert chosen(body, "kind") == ""
    body = client.get(reverse("cases:handover_send", args=[cases.a.pk])).content.decode()
    assert chosen(body, "kind") == ""


def test_long_text_is_refused_naming_the_field(login, coordinator, cases):
    client = login(coordinator)
    response = client.post(
        reverse("cases:contact_new", args=[cases.a.pk]),
        {"kind": "call", "on": today().isoformat(), "note": "x" * 5000},
    )
    assert response.status_code in (200, 400)
    assert "note" in response.context["form"].errors
    assert not Contact.objects.filter(case=cases.a).exists()


def test_a_contact_cannot_be_dated_in_the_future(login, coordinator, cases):
    client = login(coordinator)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = client.post(
        reverse("cases:contact_new", args=[cases.a.pk]), {"kind": "call", "on": tomorrow}
    )
    assert "on" in response.context["form"].errors
    assert not Contact.objects.filter(case=cases.a).exists()


def test_a_progress_note_cannot_be_dated_in_the_future(
    login, org, coordinator, guide, cases, client
):
    """A follow-up note records a visit that happened; one dated tomorrow was saved."""
    from housing import services as housing
    from housing.models import Apartment

    apartment = housing.create_apartment(
        actor=coordinator,
        district_id=org.district.pk,
        kind=Apartment.Kind.TRAINING,
        reference="LGH-77",
        address="Provgatan 7",
        rent=Decimal("5000"),
        status_since=date(2025, 1, 1),
    )
    placement = housing.start_placement(
        actor=coordinator,
        case_id=cases.a.pk,
        apartment_id=apartment.pk,
        start_on=date(2025, 2, 1),
        guide=guide,
        monthly_cost=Decimal("900"),
        goals={},
    )
    login(guide)
    tomorrow = (today() + timedelta(days=1)).isoformat()
    response = client.post(
        reverse("housing:placement", args=[placement.pk]), {"on": tomorrow, "note": "Besök"}
    )
    assert "on" in response.context["form"].errors
    assert placement.notes.count() == 0


def test_an_intervention_has_a_status_and_an_outcome(login, coordinator, cases):
    client = login(coordinator)
    next_week = (today() + timedelta(days=7)).isoformat()
    # Planned: it may start later.
    response = client.post(
        reverse("cases:intervention_new", args=[cases.a.pk]),
        {"kind": "debt_counselling", "status": "planned", "on": next_week},
    )
    assert response.status_code == 302
    intervention = Intervention.objects.get(case=cases.a)
    assert intervention.status == Intervention.Status.PLANNED
    # Ongoing or done: it has happened, so not in the future.
    response = client.post(
        reverse("cases:intervention_new", args=[cases.a.pk]),
        {"kind": "home_help", "status": "ongoing", "on": next_week},
    )
    assert "on" in response.context["form"].errors
    # Done needs an outcome.
    url = reverse("cases:intervention_edit", args=[cases.a.pk, intervention.pk])
    page = client.get(url)
    assert page.status_code == 200
    done = {"status": "done", "on": today().isoformat(), "version": intervention.version}
    response = client.post(url, {**done, "outcome": ""})
    assert response.status_code == 400 and "outcome" in response.context["form"].errors
    response = client.post(url, {**done, "outcome": "Skuldsanering beviljad"})
    assert response.status_code == 302
    intervention.refresh_from_db()
    assert (intervention.status, intervention.outcome) == ("done", "Skuldsanering beviljad")
    # The case page shows both.
    body = client.get(reverse("cases:detail", args=[cases.a.pk])).content.decode()
    assert "klar" in body.lower() and "Skuldsanering beviljad" in body


def test_a_stale_intervention_update_overwrites_nothing(login, coordinator, caseworker, cases):
    intervention = contacts.record_intervention(
        actor=coordinator, case_id=cases.a.pk, kind="home_help", on=today(), status="ongoing"
    )
    url = reverse("cases:intervention_edit", args=[cases.a.pk, intervention.pk])
    stale = intervention.version
    contacts.update_intervention(
        actor=caseworker,
        case_id=cases.a.pk,
        intervention_id=intervention.pk,
        expected_version=stale,
        status="cancelled",
        on=today(),
        outcome="Tackade nej",
    )
    response = login(coordinator).post(
        url, {"status": "done", "on": today().isoformat(), "outcome": "Klart", "version": stale}
    )
    assert response.status_code == 400 and response.context["conflict"]
    intervention.refresh_from_db()
    assert (intervention.status, intervention.outcome) == ("cancelled", "Tackade nej")


def test_who_may_not_write_the_case_cannot_update_its_intervention(
    login, coordinator, caseworker2, cases
):
    intervention = contacts.record_intervention(
        actor=coordinator, case_id=cases.a.pk, kind="home_help", on=today()
    )
    url = reverse("cases:intervention_edit", args=[cases.a.pk, intervention.pk])
    assert login(caseworker2).get(url).status_code == 404


def test_a_private_landlord_is_chosen_by_name(login, coordinator, cases):
    """The signal form showed a private landlord as "#4"."""
    private = landlords.register_landlord(
        actor=coordinator, kind="private", name="Gunnel Hyresvärdsson"
    )
    body = login(coordinator).get(reverse("cases:signal_new")).content.decode()
    assert "Gunnel Hyresvärdsson" in body
    assert f">#{private.pk}<" not in body
