"""The admin shows cases and people by number and status only: personal data is read
in the application, where object permissions and the access log apply. Even a superuser
sees only the cases and people the core's selectors let them see, and an administrator
none."""

from django.contrib import admin

from bokvar.models import Role
from bokvar.selectors import roles_of

from .core.selectors import cases as case_selectors
from .core.selectors import people as people_selectors
from .models import Case, Household, Landlord, Person


def _admin_cases(user):
    """The cases a user may see in the admin: what the application would show them,
    nothing for the administrator role (they configure, they do not read cases)."""
    if roles_of(user).has(Role.ADMINISTRATOR):
        return Case.objects.none()
    return case_selectors.visible_cases(user)


class NoPersonalDataAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(NoPersonalDataAdmin):
    list_display = ["number", "kind", "status", "responsible_unit", "opened_on", "closed_on"]
    list_filter = ["status", "kind", "responsible_unit"]
    search_fields = ["number"]
    fields = ["number", "kind", "status", "responsible_unit", "opened_on", "closed_on", "outcome"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=_admin_cases(request.user).values("pk"))


@admin.register(Household)
class HouseholdAdmin(NoPersonalDataAdmin):
    list_display = ["id", "created_at"]
    fields = ["id", "created_at"]
    readonly_fields = ["id", "created_at"]

    def get_queryset(self, request):
        households = _admin_cases(request.user).values("household_id")
        return super().get_queryset(request).filter(pk__in=households)


@admin.register(Person)
class PersonAdmin(NoPersonalDataAdmin):
    list_display = ["id", "household", "birth_year_band", "sex", "protected_identity"]
    list_filter = ["protected_identity", "sex"]
    fields = [
        "household",
        "birth_year_band",
        "sex",
        "protected_identity",
        "protected_identity_noted_on",
    ]

    def get_queryset(self, request):
        households = _admin_cases(request.user).values("household_id")
        return (
            super()
            .get_queryset(request)
            .filter(household_id__in=households)
            .filter(people_selectors.persons_visible_q(request.user))
        )


@admin.register(Landlord)
class LandlordAdmin(NoPersonalDataAdmin):
    """Companies by name; a private landlord only by number (their name is personal data)."""

    list_display = ["__str__", "kind", "organisation_number", "is_active"]
    list_filter = ["kind", "is_active"]
    fields = ["kind", "organisation_name", "organisation_number", "is_active"]
