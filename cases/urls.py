from django.urls import include, path

from . import views, views_returning

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_create, name="create"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/edit/", views.case_edit, name="edit"),
    path("<int:case_id>/close/", views.case_close, name="close"),
    path("<int:case_id>/access/", views.case_access, name="access"),
    path("<int:case_id>/access/protected/", views.protected_access, name="protected_access"),
    path("<int:case_id>/people/<int:person_id>/", views.person_detail, name="person"),
    path("<int:case_id>/people/<int:person_id>/edit/", views.person_edit, name="person_edit"),
    path("<int:case_id>/children/", views.household_children, name="children"),
    path(
        "households/<int:household_id>/new-case/",
        views_returning.household_new_case,
        name="household_new_case",
    ),
    path(
        "<int:case_id>/children/<int:child_id>/remove/",
        views.household_child_remove,
        name="child_remove",
    ),
    path("", include("cases.workflow.urls")),
    path("handovers/", include("cases.handovers.urls")),
]
