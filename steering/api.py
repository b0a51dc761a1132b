"""GET /api/v1/stats/: the same suppressed figures as the dashboard, as JSON."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from bokvar.api import ApiClientAuthentication, ClientScope, client_of
from bokvar.db_router import replica_reads
from bokvar.models import ApiClient
from bokvar.selectors import roles_of

from . import periods, selectors, snapshots


class ReadsStatistics(BasePermission):
    """A steering client (ClientScope lets no other kind this far) or a statistics role."""

    def has_permission(self, request, view) -> bool:
        return client_of(request) is not None or roles_of(request.user).has(*selectors.READ_ROLES)


class StatsView(APIView):
    """The steering group's tools read with a steering client's token: its district's
    figures, the same suppressed ones as the dashboard."""

    authentication_classes = [ApiClientAuthentication, SessionAuthentication]
    permission_classes = [ClientScope, ReadsStatistics]
    client_kinds = (ApiClient.Kind.STEERING,)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "period",
                str,
                description="A completed month (2026-10), quarter (2026-Q3), year (2026) or "
                "year to date (2026-YTD09). Ranges of months (from/to) are refused with a 400.",
            ),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="Anonymised, suppressed statistics for the steering group",
    )
    @replica_reads
    def get(self, request):
        client = client_of(request)
        district = client.district if client is not None else None
        if district is None:
            district = selectors.district_for_user(request.user)
        today = timezone.localdate()
        default = periods.last_full_month(today)
        try:
            period = periods.from_query(request.query_params, default=default, today=today)
        except periods.PeriodError as exc:
            return Response(
                {"detail": exc.message, "errors": {exc.param: [exc.message]}}, status=400
            )
        return Response(snapshots.report_for(district=district, period=period))
