"""A list of choices given an id no database integer can hold (twenty nines) is refused
with a 400 that names the field, on PostgreSQL and on the embedded default: on SQLite
Django's `__in` passed it to the driver, which cannot convert it ("Python int too large
to convert to SQLite INTEGER"), and the page answered 500 (found by
tests/bokvar/test_form_fuzz.py on SQLite, issue 22's sixteenth round). Nothing is saved."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case, Landlord

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


def _client(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.mark.parametrize("bad", [HUGE, f"-{HUGE}"])
def test_case_edit_refuses_an_assignee_id_out_of_range(org, cases, bad):
    client = _client(org.users["coordinator"])
    url = reverse("cases:edit", args=[cases.a.pk])
    response = client.post(
        url, {"kind": "homelessness", "assignees": [bad], "version": cases.a.version}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["assignees"]
    assert Case.objects.get(pk=cases.a.pk).kind == cases.a.kind  # nothing saved


def test_a_landlord_refuses_a_district_id_out_of_range(org):
    client = _client(org.users["coordinator"])
    before = Landlord.objects.count()
    response = client.post(
        reverse("cases:landlord_new"),
        {"name": "Hyresvärden AB", "districts": [HUGE, str(org.district.pk)]},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["districts"]
    assert Landlord.objects.count() == before  # nothing saved
