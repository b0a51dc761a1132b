"""The access log's rows written in Python (audit/presenters.py) are byte for byte what the
template's loop wrote: tests/audit/reference_log.html is the page's template as it was.
Both render the page's own context, in both languages: entries plain, flagged (with their
review form), reviewed (with a comment to escape), with and without a person, a case, a
unit and an address, and a filter matching no entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from audit import chain, presenters, services
from audit.models import AccessLogEntry
from tests.compared_templates import page_and_reference, render_both

pytestmark = pytest.mark.django_db
NEW, REFERENCE = page_and_reference("audit/log.html", Path(__file__).parent / "reference_log.html")
TOKEN = '<input type="hidden" name="csrfmiddlewaretoken" value="T">'


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _both(client, auditor, params, language) -> tuple[str, str, list]:
    _login(client, auditor)
    with translation.override(language):
        response = client.get(reverse("audit:log"), params, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        keys = ("form", "search", "review_form", "rows", "page", "query")
        context = {key: response.context[key] for key in keys} | {"csrf_token": "T"}
        request = RequestFactory().get(reverse("audit:log"), params)
        request.user = auditor
        context["log_rows"] = presenters.log_rows(
            context["rows"], csrf_input=TOKEN, next_path=request.get_full_path()
        )
        new, reference = render_both(NEW, REFERENCE, context, request)
    return new, reference, context["rows"]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_rows_are_the_templates_byte_for_byte(client, cases, caseworker, auditor, language):
    _login(client, caseworker)
    client.get(reverse("cases:list"))  # listed: plain rows with a person, case and unit
    client.get(reverse("cases:detail", args=[cases.p.pk]))  # protected: flagged
    flagged = AccessLogEntry.objects.filter(user_id=caseworker.pk, case_id=cases.p.pk).first()
    services.review_read(actor=auditor, seq=flagged.seq, comment='Ok <b>"&"</b>')
    client.get(reverse("cases:detail", args=[cases.p.pk]))  # flagged again, not reviewed
    chain.append(user_id=caseworker.pk, object_type="bokvar.user", object_id=1, how="admin")
    new, reference, rows = _both(client, auditor, {}, language)
    assert new == reference
    assert len(rows) >= 5
    assert 'class="review"' in new and "Ok &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;" in new
    assert '<strong class="flag">' in new and "?person=" in new and "?case=" in new
    none, none_reference, no_rows = _both(client, auditor, {"how": "extract"}, language)
    assert none == none_reference and not no_rows and 'colspan="11"' in none
