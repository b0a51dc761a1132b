"""Meeting-place API: the annual report for staff who may read the place, and a day's
tally posted by the place's own system with its scoped token (or by its staff).

The token is an API client of kind meeting_place (bokvar.models.ApiClient): one place,
one act (post tallies)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bokvar.api import ApiClientAuthentication, ClientScope, client_of
from bokvar.models import ApiClient
from bokvar.roles import MEETING_PLACES
from bokvar.selectors import roles_of

from . import reports, selectors
from .models import DailyTally, MeetingPlace
from .services import TallyInput, place_of_client, record_tally


def place_of(request) -> MeetingPlace | None:
    """The meeting place whose client's token authenticated `request`, or None for staff."""
    client = client_of(request)
    if client is None:
        return None
    place = place_of_client(client)
    if place is None:
        # Its partner made inactive: the token no longer speaks for anyone.
        raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
    return place


class MeetingPlaceRole(permissions.BasePermission):
    """Staff who may open meeting places; checked before the method, so a user without
    the role learns nothing, not even which methods an endpoint has."""

    def has_permission(self, request, view):
        return roles_of(request.user).has(*MEETING_PLACES)


class PlaceClientOrRole(MeetingPlaceRole):
    """A meeting place's client (ClientScope lets no other kind this far) or the role."""

    def has_permission(self, request, view):
        return client_of(request) is not None or super().has_permission(request, view)


def _staff_place(request, place_id: int, action: str = "read") -> MeetingPlace:
    try:
        return selectors.get_meeting_place_for_user(request.user, place_id, action=action)
    except Http404 as exc:
        raise exceptions.NotFound from exc


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1990, max_value=2100)


class MeetingPlaceReport(APIView):
    authentication_classes = [ApiClientAuthentication, authentication.SessionAuthentication]
    permission_classes = [ClientScope, MeetingPlaceRole]
    client_kinds = ()

    @extend_schema(parameters=[OpenApiParameter("year", int, required=True)], responses=dict)
    def get(self, request, place_id: int):
        place = _staff_place(request, place_id)
        query = YearSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        result = reports.annual_report([place], query.validated_data["year"])
        current, previous = result.by_place[place.pk]
        return Response(
            {
                "meeting_place": {"id": place.pk, "name": place.partner.name},
                "year": result.year,
                "figures": current.as_dict(),
                "previous_year": previous.as_dict(),
            }
        )


class TallySerializer(serializers.Serializer):
    day = serializers.DateField()
    visits = serializers.IntegerField(min_value=0)
    new_visitors = serializers.IntegerField(min_value=0, default=0)
    women = serializers.IntegerField(min_value=0, default=0)
    men = serializers.IntegerField(min_value=0, default=0)
    from_this_district = serializers.IntegerField(min_value=0, default=0)
    from_other_district = serializers.IntegerField(min_value=0, default=0)
    from_other_municipality = serializers.IntegerField(min_value=0, default=0)
    activities = serializers.IntegerField(min_value=0, default=0)
    participants = serializers.IntegerField(min_value=0, default=0)
    meals = serializers.IntegerField(min_value=0, default=0)
    # Correcting a day already tallied names the version it was based on.
    version = serializers.IntegerField(min_value=1, required=False)


class TallyReceiptSerializer(serializers.ModelSerializer):
    class Meta:
        model = DailyTally
        fields = [
            "id",
            "day",
            "visits",
            "new_visitors",
            "women",
            "men",
            "gender_other_or_unknown",
            "from_this_district",
            "from_other_district",
            "from_other_municipality",
            "residence_unknown",
            "activities",
            "participants",
            "meals",
            "version",
        ]
        read_only_fields = fields


class MeetingPlaceTallies(APIView):
    authentication_classes = [ApiClientAuthentication, authentication.SessionAuthentication]
    permission_classes = [ClientScope, PlaceClientOrRole]
    client_kinds = (ApiClient.Kind.MEETING_PLACE,)

    @extend_schema(request=TallySerializer, responses={201: TallyReceiptSerializer})
    def post(self, request, place_id: int):
        own_place = place_of(request)
        if own_place is not None:
            # A token posts for its own place only; any other place does not exist for it.
            if own_place.pk != place_id:
                raise exceptions.NotFound
            place, actor = own_place, None
        else:
            place, actor = _staff_place(request, place_id, action="tally"), request.user
        serializer = TallySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        # A refusal answers 400 naming the field (bokvar.api.exception_handler).
        tally = record_tally(
            actor=actor, place=place, data=TallyInput(**data), expected_version=version
        )
        return Response(TallyReceiptSerializer(tally).data, status=201 if version is None else 200)
