from django.urls import path

from . import views

app_name = "steering"
urlpatterns = [
    path("statistics/", views.dashboard, name="dashboard"),
    path("statistics/export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("statistics/export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:report_id>/", views.report_detail, name="report"),
    path(
        "reports/<int:report_id>/export.csv",
        views.report_export,
        {"fmt": "csv"},
        name="report_csv",
    ),
    path(
        "reports/<int:report_id>/export.xlsx",
        views.report_export,
        {"fmt": "xlsx"},
        name="report_xlsx",
    ),
    path("reports/<int:report_id>/regenerate/", views.report_regenerate, name="regenerate"),
]
