from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("Housing")

    def ready(self) -> None:
        from bokvar.models import Role
        from bokvar.navigation import NavItem, register
        from cases.panels import Panel, register_panel, register_person_panel

        from .panel import case_panel, person_panel

        register(
            NavItem(
                key="housing",
                label=_("Apartments"),
                url_name="housing:apartments",
                roles=frozenset({Role.COORDINATOR, Role.GUIDE}),
                order=40,
            )
        )
        register(
            NavItem(
                key="forecast",
                label=_("Cost forecast"),
                url_name="housing:forecast",
                roles=frozenset({Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER}),
                order=45,
            )
        )
        register_panel(
            Panel(key="housing", order=50, template="housing/case_panel.html", context=case_panel)
        )
        register_person_panel(
            Panel(
                key="housing", order=50, template="housing/person_panel.html", context=person_panel
            )
        )

        from . import audit_registration

        audit_registration.register()
