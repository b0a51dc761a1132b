from django.urls import path

from . import views, views_landlords

# Included into cases.urls (namespace "cases").
urlpatterns = [
    path("signals/", views.signal_queue, name="signals"),
    path("signals/new/", views.signal_new, name="signal_new"),
    path("signals/import/", views.signal_import, name="signal_import"),
    path("signals/<int:signal_id>/", views.signal_detail, name="signal"),
    path("signals/<int:signal_id>/link/", views.signal_link, name="signal_link"),
    path("signals/<int:signal_id>/open-case/", views.signal_open_case, name="signal_open_case"),
    path(
        "signals/<int:signal_id>/reopen-case/",
        views.signal_reopen_case,
        name="signal_reopen_case",
    ),
    path("signals/<int:signal_id>/dismiss/", views.signal_dismiss, name="signal_dismiss"),
    path("landlords/", views_landlords.landlord_list, name="landlords"),
    path("landlords/new/", views_landlords.landlord_new, name="landlord_new"),
    path(
        "landlords/<int:landlord_id>/edit/",
        views_landlords.landlord_edit,
        name="landlord_edit",
    ),
    path("deadlines/", views.my_deadlines, name="deadlines"),
    path("deadlines/<int:deadline_id>/done/", views.deadline_done, name="deadline_done"),
    path("<int:case_id>/threats/new/", views.threat_new, name="threat_new"),
    path("<int:case_id>/threats/<int:threat_id>/", views.threat_edit, name="threat_edit"),
    path("<int:case_id>/contacts/new/", views.contact_new, name="contact_new"),
    path("<int:case_id>/interventions/new/", views.intervention_new, name="intervention_new"),
]
