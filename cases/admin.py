"""The admin shows cases and people by number and status only: personal data is read
in the application, where object permissions and the access log apply."""

from django.contrib import admin

from .models import Case, Household, Landlord, Person


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


@admin.register(Household)
class HouseholdAdmin(NoPersonalDataAdmin):
    list_display = ["id", "created_at"]
    fields = ["id", "created_at"]
    readonly_fields = ["id", "created_at"]


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


@admin.register(Landlord)
class LandlordAdmin(NoPersonalDataAdmin):
    """Companies by name; a private landlord only by number (their name is personal data)."""

    list_display = ["__str__", "kind", "organisation_number", "is_active"]
    list_filter = ["kind", "is_active"]
    fields = ["kind", "organisation_name", "organisation_number", "is_active"]
