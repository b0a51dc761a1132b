"""The case list's rows written in Python (cases/core/presenters.py) are byte for byte
what the template's loop wrote: tests/cases/core/reference_case_list.html is the page's
template as it was. Both render the page's own context, in both languages: a name to
escape, a protected household's placeholder, a filter that matches nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from cases.core import presenters
from cases.models import Person
from tests.compared_templates import page_and_reference, render_both

pytestmark = pytest.mark.django_db
NEW, REFERENCE = page_and_reference(
    "cases/case_list.html", Path(__file__).parent / "reference_case_list.html"
)
BACKEND = "django.contrib.auth.backends.ModelBackend"


def _both(client, user, params, language) -> tuple[str, str]:
    client.force_login(user, backend=BACKEND)
    with translation.override(language):
        response = client.get(reverse("cases:list"), params, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        keys = ("form", "page", "rows", "case_rows", "query", "may_create")
        context = {key: response.context[key] for key in keys} | {"csrf_token": "T"}
        request = RequestFactory().get(reverse("cases:list"), params)
        request.user = user
        new, reference = render_both(NEW, REFERENCE, context, request)
    return new, reference


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_rows_are_the_templates_byte_for_byte(client, org, cases, language):
    head = Person.objects.filter(household_id=cases.a.household_id).first()
    head.given_name, head.family_name = '<b>"Åsa"</b>', "O'Neil & Co"
    head.save()
    new, reference = _both(client, org.users["coordinator"], {}, language)
    assert new == reference
    assert new.count("<tr>") == 1 + 4  # the header's and the four cases'
    assert "&lt;b&gt;&quot;Åsa&quot;&lt;/b&gt;" in new
    assert cases.p.number in new  # the protected household's case, its name withheld
    empty, empty_reference = _both(client, org.users["coordinator"], {"status": "closed"}, language)
    assert empty == empty_reference and 'colspan="6"' in empty


def test_a_page_without_rows_says_so():
    assert 'colspan="6"' in presenters.case_list_rows([])
