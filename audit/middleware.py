"""Denied reads in the access log (issue 17, point 6).

A page or API answer of 403 or 404 to a GET about a case or a person that exists is an
attempt to see what the reader may not (a refused POST is a refused action, not a
read): it is logged (flagged `denied`), with the same context as a read.

What a URL keyword's id is about comes from the audit registry: `register_url_subject`
and every model's `url_kwarg`. It is a case, a person, or a record on a case (a threat,
a handover, a placement: the case), by keyword (`threat_id`) or, for API detail
endpoints, by view and keyword (`api-signal:pk`). The page is about what its last URL
keyword names (the person of `/cases/<case_id>/people/<person_id>/`, the threat of
`/cases/<case_id>/threats/<threat_id>/`). An id that does not exist reveals nothing and
is not logged, so probing ids cannot flood the log with entries about nobody; nor is a
record that concerns no case or person.
"""

from __future__ import annotations

from django.db import transaction

from .hooks import How, record_denied, subjects_of
from .registry import registry

DENIED = {403, 404}


class DeniedReadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A read is a GET (or HEAD); a refused POST is an action the page refused (a
        # reader who may see the case but not add to it), not an attempt to read.
        if response.status_code in DENIED and request.method in ("GET", "HEAD"):
            self._log(request)
        return response

    def _log(self, request) -> None:
        user = getattr(request, "user", None)
        match = getattr(request, "resolver_match", None)
        if user is None or not user.is_authenticated or match is None:
            return
        # An API client's token (bokvar.api_access.ApiPrincipal) is no staff member: it
        # reads no case, and its refusals are its scope's 403s, not refused reads.
        if user.pk is None:
            return
        if not match.kwargs:
            return
        # The page is about the object its last URL keyword names; a 404 for a threat
        # that does not exist under a case (`…/<case_id>/threats/<threat_id>/`) is not a
        # refused case.
        kwarg, value = list(match.kwargs.items())[-1]
        find = registry.url_subjects.get(f"{match.view_name}:{kwarg}")
        find = find or registry.url_subjects.get(kwarg)
        if find is None:
            return
        try:
            pk = int(value)
        except (TypeError, ValueError):
            return
        obj = find(pk)
        if obj is None:
            return
        subject = subjects_of([obj])[0]
        if subject.case_id is None and subject.person_id is None:
            return
        how = How.API if request.path.startswith("/api/") else How.PAGE
        # The refusal was answered already; the log entry commits on its own.
        with transaction.atomic():
            # The subject just read: describing the object again was a second query.
            record_denied(request, obj=obj, how=how, subject=subject)
