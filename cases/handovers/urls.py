from django.urls import path

from . import views

# Included into cases.urls under "handovers/" (namespace "cases").
urlpatterns = [
    path("", views.inbox, name="handovers"),
    path("<int:handover_id>/", views.handover_detail, name="handover"),
    path("<int:handover_id>/accept/", views.handover_accept, name="handover_accept"),
    path("<int:handover_id>/return/", views.handover_return, name="handover_return"),
    path("<int:handover_id>/close/", views.handover_close, name="handover_close"),
    path("<int:handover_id>/acknowledge/", views.handover_acknowledge, name="handover_acknowledge"),
    path("new/<int:case_id>/", views.handover_send, name="handover_send"),
    path("request/<int:case_id>/", views.handover_request, name="handover_request"),
]
