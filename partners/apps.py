from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Partners and meeting places")

    def ready(self) -> None:
        from cases import case_page

        from .referrals import audit, page

        # Partners sit above cases, so referrals fill the case page's and the timeline's
        # "partners" slots (cases/case_page.py) instead of being imported there.
        case_page.fill_slot(
            "partners",
            case_page.Section(
                "referrals",
                "partners/referrals_panel.html",
                page.case_panel,
                _("Referrals to partners"),
            ),
        )
        case_page.fill_timeline_slot("partners", page.timeline)
        case_page.read_with_the_case(page.REFERRALS)
        audit.register()
