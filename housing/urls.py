from django.urls import path

from . import views

app_name = "housing"
urlpatterns = [
    path("apartments/", views.apartment_list, name="apartments"),
    path("apartments/new/", views.apartment_new, name="apartment_new"),
    path("apartments/<int:apartment_id>/", views.apartment_detail, name="apartment"),
    path("apartments/<int:apartment_id>/status/", views.apartment_status, name="apartment_status"),
    path("cases/<int:case_id>/nights/new/", views.nights_new, name="nights_new"),
    path("cases/<int:case_id>/placements/new/", views.placement_new, name="placement_new"),
    path("cases/<int:case_id>/costs/new/", views.cost_new, name="cost_new"),
    path(
        "cases/<int:case_id>/costs/<int:item_id>/remove/",
        views.cost_remove,
        name="cost_remove",
    ),
    path(
        "cases/<int:case_id>/nights/<int:night_id>/remove/",
        views.night_remove,
        name="night_remove",
    ),
    path("nights/import/", views.nights_import, name="nights_import"),
    path("placements/<int:placement_id>/", views.placement_detail, name="placement"),
    path("placements/<int:placement_id>/end/", views.placement_end, name="placement_end"),
    path("forecast/", views.forecast, name="forecast"),
    path("comparison/", views.comparison, name="comparison"),
]
