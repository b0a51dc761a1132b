"""Role checks for views. Object checks live in each app's selectors (one way in)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase

from .selectors import roles_of

if TYPE_CHECKING:
    from .models import User


class AuthenticatedRequest(HttpRequest):
    """The request a view behind `login_required` or `role_required` receives: its user
    is a signed-in `bokvar.User`, never the anonymous one. For annotations only."""

    user: User


P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)
Request = TypeVar("Request", bound=HttpRequest)
View = Callable[Concatenate[Request, P], R]


def role_required(*roles: str) -> Callable[[View[Request, P, R]], View[Request, P, R]]:
    """Signed-in users holding one of `roles`; everyone else signed in gets 403."""

    def decorator(view: View[Request, P, R]) -> View[Request, P, R]:
        @wraps(view)
        def wrapped(request: Request, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if not roles_of(request.user).has(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
