from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from .core import audit as core_audit
        from .core import identity
        from .core.selectors import permissions
        from .core.services import households
        from .evictions import audit as evictions_audit
        from .evictions import selectors as evictions_selectors
        from .evictions.services import threats
        from .handovers import audit as handovers_audit

        # What each part registers with the audit app (history, extract, retention, the
        # access log's subjects): the audit app knows these records only from here.
        core_audit.register()
        evictions_audit.register()
        handovers_audit.register()
        identity.register_blind_indexes()
        permissions.connect()
        evictions_selectors.register_blind_indexes()
        # Evictions sits above the core: a child added to a household with a close
        # eviction date is flagged at once (the core's one hook, see households).
        households.on_child_added(threats.flag_children_now)
