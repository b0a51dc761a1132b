from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PlaceStaff


@admin.register(PlaceStaff)
class PlaceStaffAdmin(SimpleHistoryAdmin):
    """Which meeting places a skötare works at (the role comes from a membership)."""

    list_display = ["place", "user"]
