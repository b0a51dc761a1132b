"""The product's addresses under "/moved/": a URL configuration that changes every
address (tests/bokvar/test_rendering.py, the kept address patterns)."""

from django.urls import include, path

urlpatterns = [path("moved/", include("bokvar.urls"))]
