from django.contrib import admin

from bokvar.admin_history import HistoryAdmin

from .models import CostCategory, Shelter, ShelterPrice


class ShelterPriceInline(admin.TabularInline):
    model = ShelterPrice
    extra = 1


@admin.register(Shelter)
class ShelterAdmin(HistoryAdmin):
    list_display = ["name", "district", "is_active"]
    inlines = [ShelterPriceInline]


@admin.register(CostCategory)
class CostCategoryAdmin(HistoryAdmin):
    """A new kind of cost item is a row here: no code needed."""

    list_display = ["name", "is_active"]
