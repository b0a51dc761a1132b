from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SteeringConfig(AppConfig):
    name = "steering"
    verbose_name = _("Steering group")

    def ready(self) -> None:
        from bokvar.navigation import NavItem, register

        from .selectors import READ_ROLES

        register(
            NavItem(
                key="statistics",
                label=_("Statistics"),
                url_name="steering:dashboard",
                roles=frozenset(READ_ROLES),
                order=80,
            )
        )
        register(
            NavItem(
                key="monthly-reports",
                label=_("Monthly reports"),
                url_name="steering:reports",
                roles=frozenset(READ_ROLES),
                order=81,
            )
        )
