from django.urls import path

from .views import access, cases, households, people

# Included into cases.urls (namespace "cases").
urlpatterns = [
    path("", cases.case_list, name="list"),
    path("new/", cases.case_create, name="create"),
    path("new/received/", cases.registration_received, name="registration_received"),
    path("<int:case_id>/", cases.case_detail, name="detail"),
    path("<int:case_id>/edit/", cases.case_edit, name="edit"),
    path("<int:case_id>/close/", cases.case_close, name="close"),
    path("<int:case_id>/access/", access.case_access, name="access"),
    path("<int:case_id>/access/protected/", access.protected_access, name="protected_access"),
    path("<int:case_id>/people/<int:person_id>/", people.person_detail, name="person"),
    path("<int:case_id>/people/<int:person_id>/edit/", people.person_edit, name="person_edit"),
    path("<int:case_id>/children/", households.household_children, name="children"),
    path(
        "households/<int:household_id>/new-case/",
        households.household_new_case,
        name="household_new_case",
    ),
    path(
        "<int:case_id>/children/<int:child_id>/remove/",
        households.household_child_remove,
        name="child_remove",
    ),
]
