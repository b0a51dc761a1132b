from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from . import signals  # noqa: F401  # role and membership changes into the log
        from .registry import register_personal_data_view

        for name in (
            "audit:case_history",
            "audit:person_history",
            "audit:extract",
            "audit:extract_json",
            "audit:extract_pdf",
        ):
            register_personal_data_view(name)
