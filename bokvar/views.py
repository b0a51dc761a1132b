from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Membership, Role


@login_required
def home(request):
    memberships = (
        Membership.objects.filter(user=request.user).select_related("unit").order_by("unit__name")
    )
    return render(
        request,
        "bokvar/home.html",
        {"memberships": memberships, "role_labels": dict(Role.choices)},
    )


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    # Never echo the path or the exception: both may carry personal data.
    return render(request, "errors/404.html", status=404)


def error_500(request):
    return render(request, "errors/500.html", status=500)


@login_required
def notifications(request):
    from django.core.paginator import Paginator
    from django.shortcuts import redirect

    from .notifications import listed, mark_read

    if request.method == "POST":
        note_id = request.POST.get("notification")
        mark_read(
            user=request.user,
            notification_id=int(note_id) if note_id and note_id.isdigit() else None,
        )
        return redirect("notifications")
    page = Paginator(listed(request.user), 30).get_page(request.GET.get("page"))
    return render(request, "bokvar/notifications.html", {"page": page})
