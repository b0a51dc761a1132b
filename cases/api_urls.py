from django.urls import path

from . import api_signals

urlpatterns: list = [
    path("signals/", api_signals.SignalList.as_view(), name="api-signals"),
    path("signals/<int:pk>/", api_signals.SignalDetail.as_view(), name="api-signal"),
]

from .handovers import api as handover_api  # noqa: E402

urlpatterns += [
    path("handovers/", handover_api.HandoverList.as_view(), name="api-handovers"),
    path("handovers/<int:pk>/", handover_api.HandoverDetail.as_view(), name="api-handover"),
    path(
        "handovers/<int:pk>/accept/",
        handover_api.HandoverAccept.as_view(),
        name="api-handover-accept",
    ),
    path(
        "handovers/<int:pk>/return/",
        handover_api.HandoverReturn.as_view(),
        name="api-handover-return",
    ),
    path(
        "handovers/<int:pk>/close/",
        handover_api.HandoverClose.as_view(),
        name="api-handover-close",
    ),
    path(
        "handovers/<int:pk>/acknowledge/",
        handover_api.HandoverAcknowledge.as_view(),
        name="api-handover-acknowledge",
    ),
]
