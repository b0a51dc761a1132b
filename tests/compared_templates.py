"""A page's template now and as it was (a reference kept beside the test), rendered with
the same context and request: the byte-for-byte checks of the rows written in Python
(issue 22)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template import engines

ROOT = Path(__file__).resolve().parents[1]


def page_and_reference(template: str, reference: Path) -> tuple[str, str]:
    """The sources of templates/`template` and of the reference file."""
    return (ROOT / "templates" / template).read_text(), reference.read_text()


def render_both(new: str, reference: str, context: dict[str, Any], request: Any) -> tuple[str, str]:
    engine = engines["django"]
    return (
        engine.from_string(new).render(context, request),
        engine.from_string(reference).render(context, request),
    )


def render_page_both(
    client: Any, user: Any, url: str, language: str, new: str, reference: str
) -> tuple[str, str, dict[str, Any], Any]:
    """The page at `url` as its view answers `user` in `language`: the page's template now
    and as it was (`new`, `reference`), each rendered with the view's own context (the
    first template rendered is the page's), then that context and the response."""
    from django.test import RequestFactory
    from django.utils import translation

    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with translation.override(language):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200
        context = dict(response.context[0].flatten()) | {"csrf_token": "T"}
        request = RequestFactory().get(url)
        request.user = user
        rendered_new, rendered_reference = render_both(new, reference, context, request)
    return rendered_new, rendered_reference, context, response
