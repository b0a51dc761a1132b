from django.urls import URLPattern

from .evictions.urls import api_urlpatterns as evictions_api
from .handovers.urls import api_urlpatterns as handovers_api

# The cases part of /api/v1/ (names without a namespace: "api-signals", "api-handover", …).
urlpatterns: list[URLPattern] = [*evictions_api, *handovers_api]
