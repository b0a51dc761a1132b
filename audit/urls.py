from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
    path("log/", views.log, name="log"),
    path("log.csv", views.log_csv, name="log_csv"),
    path("log/<int:seq>/review/", views.log_review, name="log_review"),
    path("people/<int:person_id>/", views.subject, name="subject"),
    path(
        "people/<int:person_id>/holds/<int:hold_id>/release/",
        views.hold_release,
        name="hold_release",
    ),
    path("people/<int:person_id>/history/", views.person_history, name="person_history"),
    path("people/<int:person_id>/extract/", views.extract_page, name="extract"),
    path("people/<int:person_id>/extract.json", views.extract_json, name="extract_json"),
    path("people/<int:person_id>/extract/review/", views.extract_review, name="extract_review"),
    path("people/<int:person_id>/extract.pdf", views.extract_pdf, name="extract_pdf"),
    path("cases/<int:case_id>/history/", views.case_history, name="case_history"),
]
