from django.contrib import admin

from bokvar.admin_history import HistoryAdmin

from .models import PlaceStaff


@admin.register(PlaceStaff)
class PlaceStaffAdmin(HistoryAdmin):
    """Which meeting places a skötare works at (the role comes from a membership)."""

    list_display = ["place", "user"]
