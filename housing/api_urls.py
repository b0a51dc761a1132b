from django.urls import path

from .api import ShelterNightBatch

urlpatterns = [path("shelter-nights/", ShelterNightBatch.as_view(), name="api-shelter-nights")]
