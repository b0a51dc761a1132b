"""The admin's change-history pages (django-simple-history) for every model that keeps
one: an id that is not one of the model's keys answers 400 naming it, not a 500
(issue 21, point 9). simple-history passes the id from the URL straight to a query."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin


def _bad_id(model: Any, value: str) -> bool:
    try:
        model._meta.pk.to_python(unquote(value))
    except ValidationError:
        return True
    return False


class HistoryAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history ships no types
    def _refused(self, field: str) -> HttpResponse:
        return HttpResponseBadRequest(
            _("%(field)s: not a valid id.") % {"field": field},
            content_type="text/plain; charset=utf-8",
        )

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if _bad_id(self.model, object_id):
            return self._refused("object_id")
        response: HttpResponse = super().history_view(request, object_id, extra_context)
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if _bad_id(self.model, object_id):
            return self._refused("object_id")
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute).model
        if _bad_id(history, version_id):
            return self._refused("version_id")
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response
