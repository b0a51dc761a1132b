from django.urls import path

from . import views

# Included at the root by bokvar.urls (no namespace: the start page is "home").
urlpatterns = [
    path("", views.home, name="home"),
]
