from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.urls import reverse

        from bokvar.models import Role
        from bokvar.navigation import NavItem, register
        from cases.panels import Panel, register_panel

        from .registry import register_personal_data_view

        register(
            NavItem(
                key="audit",
                label=_("Audit"),
                url_name="audit:index",
                roles=frozenset({Role.AUDITOR}),
                order=80,
            )
        )
        register_panel(
            Panel(
                key="audit-history",
                order=900,
                template="audit/history_panel.html",
                context=lambda request, case: {
                    "history_url": reverse("audit:case_history", kwargs={"case_id": case.pk})
                },
            )
        )
        for name in (
            "audit:case_history",
            "audit:person_history",
            "audit:extract",
            "audit:extract_json",
        ):
            register_personal_data_view(name)
