"""The kernel's pages: error pages and the user's notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from .health import web_checks
from .notifications import listed, mark_read, remember_language
from .permissions import AuthenticatedRequest


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def _is_api(request: HttpRequest) -> bool:
    """An API client is answered in the API's error shape (the Error component of bokvar.api.document_refusals),
    also where no view was reached (a path the URL patterns do not match)."""
    return request.path.startswith("/api/")


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Never echo the path or the exception: both may carry personal data.
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "errors/404.html", status=404)


def error_500(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error."}, status=500)
    return render(request, "errors/500.html", status=500)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For the load balancer in front of the web processes: public, because it says only
    whether this process reaches its database and broker, never anything about a case.
    The workers and the scheduler are checked by `manage.py health` (docs/deploy.md)."""
    checks = web_checks()
    ok = all(c.ok for c in checks)
    return JsonResponse(
        {"status": "ok" if ok else "failing", "checks": {c.name: c.ok for c in checks}},
        status=200 if ok else 503,
    )


@login_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        note_id = request.POST.get("notification")
        mark_read(
            user=request.user,
            notification_id=int(note_id) if note_id and note_id.isdigit() else None,
        )
        return redirect("notifications")
    page = Paginator(listed(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "bokvar/notifications.html", {"page": page})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (the cookie), and for a signed-in user also their stored
    choice: notifications and e-mails made for them later are written in it."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        remember_language(user=request.user, language=language)
    return response
