from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _

# Bo Kvar's own apps: their models' `get_FOO_display` read the kept labels.
BOKVAR_APPS = {"bokvar", "cases", "housing", "partners", "audit", "steering", "home"}


class BokvarConfig(AppConfig):
    name = "bokvar"
    verbose_name = _("Organisation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import checks  # noqa: F401  # registers the key checks
        from .collector import configure as tune_garbage_collector
        from .constraints import install as validate_checks_in_one_query
        from .history import keep_history_manager_classes
        from .labels import use_kept_labels
        from .lookups import register_any
        from .prepared import use_cursor_class
        from .sqlite import settle_json_support

        tune_garbage_collector()  # bokvar/collector.py: thresholds from the settings
        register_any()  # `field__any=ids` (bokvar/lookups.py)
        validate_checks_in_one_query()  # bokvar/constraints.py: Model.full_clean
        keep_history_manager_classes()  # bokvar/history.py: simple-history's `Model.history`
        # bokvar/labels.py: each choice's label translated once per language.
        use_kept_labels(
            model for model in apps.get_models() if model._meta.app_label in BOKVAR_APPS
        )
        connection_created.connect(settle_json_support, dispatch_uid="bokvar.sqlite.json")
        connection_created.connect(use_cursor_class, dispatch_uid="bokvar.prepared.cursor")
