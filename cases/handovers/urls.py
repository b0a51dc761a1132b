from django.urls import path

from . import api, views

# Included into cases.urls under "handovers/" (namespace "cases").
urlpatterns = [
    path("", views.inbox, name="handovers"),
    path("<int:handover_id>/", views.handover_detail, name="handover"),
    path("<int:handover_id>/accept/", views.handover_accept, name="handover_accept"),
    path("<int:handover_id>/return/", views.handover_return, name="handover_return"),
    path("<int:handover_id>/close/", views.handover_close, name="handover_close"),
    path("<int:handover_id>/acknowledge/", views.handover_acknowledge, name="handover_acknowledge"),
    path(
        "<int:handover_id>/revoke-grant/",
        views.handover_revoke_grant,
        name="handover_revoke_grant",
    ),
    path("new/<int:case_id>/", views.handover_send, name="handover_send"),
    path("request/<int:case_id>/", views.handover_request, name="handover_request"),
]

# Included into /api/v1/ by cases.api_urls (no namespace).
api_urlpatterns = [
    path("handovers/", api.HandoverList.as_view(), name="api-handovers"),
    path("handovers/<int:pk>/", api.HandoverDetail.as_view(), name="api-handover"),
    path("handovers/<int:pk>/accept/", api.HandoverAccept.as_view(), name="api-handover-accept"),
    path("handovers/<int:pk>/return/", api.HandoverReturn.as_view(), name="api-handover-return"),
    path("handovers/<int:pk>/close/", api.HandoverClose.as_view(), name="api-handover-close"),
    path(
        "handovers/<int:pk>/acknowledge/",
        api.HandoverAcknowledge.as_view(),
        name="api-handover-acknowledge",
    ),
]
