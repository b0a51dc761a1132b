from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from bokvar.models import Role
        from bokvar.navigation import NavItem, register

        register(
            NavItem(
                key="cases",
                label=_("Cases"),
                url_name="cases:list",
                roles=frozenset(
                    {Role.COORDINATOR, Role.GUIDE, Role.CASEWORKER, Role.ADMINISTRATOR}
                ),
                order=10,
            )
        )

        from .workflow import registry as workflow_registry

        workflow_registry.register()

        from .handovers import registry as handover_registry

        handover_registry.register()

        from .handovers import audit_registration as handover_audit

        handover_audit.register()
        # Issue #7: history, extract and retention know these models only from here.
        from .core import audit as core_audit
        from .core.services import households
        from .workflow import threats

        core_audit.register()
        households.on_child_added(threats.flag_children_now)
