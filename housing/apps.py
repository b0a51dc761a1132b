from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HousingConfig(AppConfig):
    name = "housing"
    verbose_name = _("Housing")

    def ready(self) -> None:
        from cases import case_page

        from . import audit_registration
        from .panel import ROWS, case_panel, person_panel

        # Housing sits above cases, so it fills the case page's and the person page's
        # "housing" slots (cases/case_page.py) instead of being imported there.
        case_page.fill_slot(
            "housing",
            case_page.Section("housing", "", case_panel, _("Housing")),
        )
        for rows in ROWS:  # the section's lists, read with the case's others
            case_page.read_with_the_case(rows)
        case_page.fill_person_slot(
            "housing", case_page.Section("housing", "housing/person_panel.html", person_panel)
        )
        audit_registration.register()
