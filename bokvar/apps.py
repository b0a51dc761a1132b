from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BokvarConfig(AppConfig):
    name = "bokvar"
    verbose_name = _("Organisation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .models import Role
        from .navigation import NavItem, register
        from .notifications import unread_count

        register(
            NavItem(
                key="notifications",
                label=_("Notifications"),
                url_name="notifications",
                roles=frozenset(Role.values),
                order=90,
                badge=lambda request: unread_count(request.user),
            )
        )
