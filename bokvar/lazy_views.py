"""A view whose module is imported at its first request, not when the URLconf loads.

Every process that loads the URLconf imports every view module it names: each
`manage.py` command (the URL check), each server and Celery worker. A view built on a
library that is slow to import makes all of them pay for it, though most never serve
that view: djangosaml2's views import pysaml2's signature module, which builds an XML
schema validator at import (about 0.85 s of CPU), on every process of a deployment that
never signs anyone in through SAML. The URL keeps its path and name; only the import
of the view's class waits for its first request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string


def lazy_view(dotted_path: str, *, csrf_exempt: bool = False) -> Callable[..., HttpResponse]:
    """The class-based view at `dotted_path`, as `as_view()` would give it, imported when
    it is first called.

    CsrfViewMiddleware reads `csrf_exempt` from the URL's callback before calling it, so
    the flag cannot wait for the import: it is given here, and a test checks it against
    the real view's."""
    resolved: list[Callable[..., HttpResponse]] = []

    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not resolved:
            # Two first requests at once may both import: harmless, the same view.
            resolved.append(import_string(dotted_path).as_view())
        return resolved[0](request, *args, **kwargs)

    view.lazy_view_path = dotted_path  # type: ignore[attr-defined]  # for the tests
    view.__name__ = dotted_path.rsplit(".", 1)[-1]
    view.__qualname__ = view.__name__
    view.__module__ = dotted_path.rsplit(".", 1)[0]
    if csrf_exempt:
        view.csrf_exempt = True  # type: ignore[attr-defined]  # Django's own flag
    return view
