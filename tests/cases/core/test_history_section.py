"""The case page's link to the full change history, written in Python (cases/core/
presenters.py), is byte for byte what its template wrote: tests/cases/core/
reference_history_section.html is that template as it was, in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db
REFERENCE = engines["django"].from_string(
    (Path(__file__).parent / "reference_history_section.html").read_text()
)


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_history_link_is_the_templates_byte_for_byte(client, org, cases, language):
    client.force_login(org.users["caseworker"], backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("audit:case_history", args=[cases.a.pk])
    with translation.override(language):
        response = client.get(
            reverse("cases:detail", args=[cases.a.pk]), HTTP_ACCEPT_LANGUAGE=language
        )
        (section,) = [p for p in response.context["panels"] if p["key"] == "audit-history"]
        reference = REFERENCE.render({"panel": {"history_url": url}})
    assert section["html"] == reference
    assert section["html"] in response.content.decode() and f'href="{url}"' in reference
    assert (
        "Fullständig ändringshistorik" if language == "sv" else "Full change history"
    ) in reference
