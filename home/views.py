"""The start page: the user's roles and what they can do."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from bokvar.models import Membership, Role


@login_required
def home(request):
    memberships = (
        Membership.objects.filter(user=request.user).select_related("unit").order_by("unit__name")
    )
    return render(
        request,
        "home/home.html",
        {"memberships": memberships, "role_labels": dict(Role.choices)},
    )
