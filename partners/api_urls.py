from django.urls import path

from .api import MeetingPlaceReport, MeetingPlaceTallies

urlpatterns = [
    path(
        "meeting-places/<int:place_id>/report/",
        MeetingPlaceReport.as_view(),
        name="api-meeting-place-report",
    ),
    path(
        "meeting-places/<int:place_id>/tallies/",
        MeetingPlaceTallies.as_view(),
        name="api-meeting-place-tallies",
    ),
]
