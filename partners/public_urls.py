"""The public survey pages: answered with a handed-out code, no login (issue 20, point 6)."""

from django.urls import path

from . import survey_views

app_name = "survey"
urlpatterns = [
    path("", survey_views.public_start, name="start"),
    path("tack/", survey_views.public_thanks, name="thanks"),
    path("<str:code>/", survey_views.public_answer, name="answer"),
]
