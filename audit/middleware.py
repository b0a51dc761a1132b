"""Denied reads in the access log (issue 17, point 6).

A page or API answer of 403 or 404 about a case or a person that exists is an attempt to
see what the reader may not: it is logged (flagged `denied`), with the same context as a
read. Which URL keyword names which model comes from the audit registry (`url_kwarg`);
the page is about the object its last URL keyword names (the person of
`/cases/<case_id>/people/<person_id>/`), and only such a page counts. An id that does not exist reveals nothing and is
not logged, so probing ids cannot flood the log with entries about nobody.
"""

from __future__ import annotations

from django.db import transaction

from .hooks import How, record_denied
from .registry import registry

DENIED = {403, 404}


class DeniedReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in DENIED:
            self._log(request)
        return response

    def _log(self, request) -> None:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return
        by_kwarg = {reg.url_kwarg: reg for reg in registry.models.values() if reg.url_kwarg}
        if not match.kwargs:
            return
        # The page is about the object its last URL keyword names; a 404 for a deadline
        # of a case (`…/<case_id>/deadlines/<deadline_id>/`) is not a refused case.
        kwarg, value = list(match.kwargs.items())[-1]
        if kwarg not in by_kwarg:
            return
        obj = by_kwarg[kwarg].model._default_manager.filter(pk=value).first()
        if obj is None:
            return
        how = How.API if request.path.startswith("/api/") else How.PAGE
        # The refusal was answered already; the log entry commits on its own.
        with transaction.atomic():
            record_denied(request, obj=obj, how=how)
