"""Role checks for views. Object checks live in each app's selectors (one way in)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .selectors import roles_of


def role_required(*roles: str):
    """Signed-in users holding one of `roles`; everyone else signed in gets 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not roles_of(request.user).has(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_roles = frozenset(roles)
        return wrapped

    return decorator
