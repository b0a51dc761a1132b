from django.conf import settings

from bokvar.conf import setting
from bokvar.selectors import roles_of

from .navigation import items_for


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"nav_items": [], "SESSION_IDLE_MINUTES": settings.SESSION_IDLE_MINUTES}
    return {
        "nav_items": items_for(request),
        "user_roles": roles_of(request.user),
        "local_passwords": setting("LOCAL_PASSWORDS"),
        "SESSION_IDLE_MINUTES": settings.SESSION_IDLE_MINUTES,
    }
