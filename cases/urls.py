from django.urls import include, path

app_name = "cases"
urlpatterns = [
    path("", include("cases.core.urls")),
    path("", include("cases.evictions.urls")),
    path("handovers/", include("cases.handovers.urls")),
]
