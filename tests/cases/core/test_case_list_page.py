"""The case list page written in Python (cases/core/presenters.py: its rows and its
content) is byte for byte what the template wrote: tests/cases/core/reference_case_list
.html is the page's template as it was. Both render the page's own context, in both
languages: a name to escape, a protected household's placeholder, a filter that matches
nothing, a search that expired, a reader who may not open a case, and pages with a pager
before and after them."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from bokvar.paging import CappedPaginator
from cases.core import presenters
from cases.core.views import cases as case_views
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
        assert response.status_code in (200, 400)
        keys = ("form", "page", "rows", "case_rows", "query", "may_create")
        context = {key: response.context[key] for key in keys} | {"csrf_token": "T"}
        # The content as the view writes it, with the token the reference is given.
        context["content"] = presenters.case_list_content(context, csrf_token="T")
        request = RequestFactory().get(reverse("cases:list"), params)
        request.user = user
        new, reference = render_both(NEW, REFERENCE, context, request)
    return new, reference


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_page_is_the_templates_byte_for_byte(client, org, cases, language):
    head = Person.objects.filter(household_id=cases.a.household_id).first()
    head.given_name, head.family_name = '<b>"Åsa"</b>', "O'Neil & Co"
    head.save()
    new, reference = _both(client, org.users["coordinator"], {}, language)
    assert new == reference
    assert new.count("<tr>") == 1 + 4  # the header's and the four cases'
    assert "&lt;b&gt;&quot;Åsa&quot;&lt;/b&gt;" in new
    assert cases.p.number in new  # the protected household's case, its name withheld
    assert reverse("cases:create") in new  # a coordinator may open a case
    empty, empty_reference = _both(client, org.users["coordinator"], {"status": "closed"}, language)
    assert empty == empty_reference and 'colspan="6"' in empty
    # An administrator sees the list but may not open a case: no button.
    admin, admin_reference = _both(client, org.users["admin"], {}, language)
    assert admin == admin_reference and reverse("cases:create") not in admin
    # A search whose token has expired: the form's error, no rows.
    expired, expired_reference = _both(client, org.users["coordinator"], {"search": "x"}, language)
    assert expired == expired_reference and 'class="errorlist' in expired


@pytest.mark.parametrize("language", ["sv", "en"])
def test_pages_with_a_pager_are_the_templates_byte_for_byte(
    client, org, cases, monkeypatch, language
):
    monkeypatch.setattr(case_views, "PAGE_SIZE", 2)
    for params in ({}, {"page": 2}, {"status": "open", "page": 2}):
        new, reference = _both(client, org.users["coordinator"], params, language)
        assert new == reference
        assert 'class="pagination"' in new
    # Past a capped count: "more than", in the pager and (see below) the caption.
    monkeypatch.setitem(CappedPaginator.__init__.__kwdefaults__, "cap", 1)
    new, reference = _both(client, org.users["coordinator"], {}, language)
    assert new == reference
    assert ("More than 1 case<" if language == "en" else "Fler än 1 ärende<") in new


def test_the_caption_says_more_than_when_the_count_stops_at_its_cap(
    client, org, cases, monkeypatch
):
    # The pager counts at most `cap` cases past the page's start (bokvar.paging). The
    # template asked whether there were more before counting, so the caption said "2
    # cases" where the pager under it said "page 1 of more than 1".
    monkeypatch.setattr(case_views, "PAGE_SIZE", 1)
    monkeypatch.setitem(CappedPaginator.__init__.__kwdefaults__, "cap", 2)
    client.force_login(org.users["coordinator"], backend=BACKEND)
    with translation.override("en"):
        page = client.get(reverse("cases:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<caption id="cases-case-list-table">More than 2 cases</caption>' in page


def test_a_page_without_rows_says_so():
    assert 'colspan="6"' in presenters.case_list_rows([])
