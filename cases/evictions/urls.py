from django.urls import path

from . import api
from .views import contacts, deadlines, landlord_signals, landlords, payment_routes, threats

# Included into cases.urls (namespace "cases").
urlpatterns = [
    path("signals/", landlord_signals.signal_queue, name="signals"),
    path("signals/new/", landlord_signals.signal_new, name="signal_new"),
    path("signals/import/", landlord_signals.signal_import, name="signal_import"),
    path(
        "signals/import/<int:import_id>/",
        landlord_signals.signal_import_status,
        name="signal_import_status",
    ),
    path("signals/<int:signal_id>/", landlord_signals.signal_detail, name="signal"),
    path("signals/<int:signal_id>/link/", landlord_signals.signal_link, name="signal_link"),
    path(
        "signals/<int:signal_id>/open-case/",
        landlord_signals.signal_open_case,
        name="signal_open_case",
    ),
    path(
        "signals/<int:signal_id>/reopen-case/",
        landlord_signals.signal_reopen_case,
        name="signal_reopen_case",
    ),
    path(
        "signals/<int:signal_id>/dismiss/", landlord_signals.signal_dismiss, name="signal_dismiss"
    ),
    path("signals/<int:signal_id>/route/", landlord_signals.signal_route, name="signal_route"),
    path(
        "signals/<int:signal_id>/misconduct/",
        landlord_signals.signal_misconduct,
        name="signal_misconduct",
    ),
    path("landlords/", landlords.landlord_list, name="landlords"),
    path("landlords/new/", landlords.landlord_new, name="landlord_new"),
    path("landlords/<int:landlord_id>/edit/", landlords.landlord_edit, name="landlord_edit"),
    path("deadlines/", deadlines.my_deadlines, name="deadlines"),
    path("deadlines/<int:deadline_id>/done/", deadlines.deadline_done, name="deadline_done"),
    path("<int:case_id>/threats/new/", threats.threat_new, name="threat_new"),
    path("<int:case_id>/threats/<int:threat_id>/", threats.threat_edit, name="threat_edit"),
    path(
        "<int:case_id>/threats/<int:threat_id>/payment-route/",
        payment_routes.payment_route_edit,
        name="payment_route_edit",
    ),
    path("<int:case_id>/contacts/new/", contacts.contact_new, name="contact_new"),
    path("<int:case_id>/interventions/new/", contacts.intervention_new, name="intervention_new"),
    path(
        "<int:case_id>/interventions/<int:intervention_id>/",
        contacts.intervention_edit,
        name="intervention_edit",
    ),
]

# Included into /api/v1/ by cases.api_urls (no namespace).
api_urlpatterns = [
    path("signals/", api.SignalList.as_view(), name="api-signals"),
    path("signals/<int:pk>/", api.SignalDetail.as_view(), name="api-signal"),
]
