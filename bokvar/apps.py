from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BokvarConfig(AppConfig):
    name = "bokvar"
    verbose_name = _("Organisation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  # registers the key checks
        from .lookups import register_any

        register_any()  # `field__any=ids` (bokvar/lookups.py)
