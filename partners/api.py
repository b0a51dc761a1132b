"""Meeting-place API: the annual report for staff who may read the place, and a day's
tally posted by the place's own system with its scoped token (or by its staff).

The token is deliberately small (one place, one act: post tallies), on the pattern of the
landlord tokens in cases/evictions; general API clients are a separate piece of work."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bokvar.roles import MEETING_PLACES
from bokvar.selectors import roles_of

from . import reports, selectors
from .models import DailyTally, MeetingPlace
from .services import TallyInput, place_for_key, record_tally


class PlaceClient:
    """The authenticated principal of a meeting-place token: not a user, holds no role."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    pk = None

    def __init__(self, place: MeetingPlace):
        self.place = place


class PlaceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid token header.")
        place = place_for_key(header[1].decode("latin-1"))
        if place is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return PlaceClient(place), None

    def authenticate_header(self, request):
        return self.keyword


class PlaceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.PlaceTokenAuthentication"
    name = "meetingPlaceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization"}


class MeetingPlaceRole(permissions.BasePermission):
    """Staff who may open meeting places; checked before the method, so a user without
    the role learns nothing, not even which methods an endpoint has."""

    def has_permission(self, request, view):
        return roles_of(request.user).has(*MEETING_PLACES)


class PlaceClientOrRole(MeetingPlaceRole):
    def has_permission(self, request, view):
        return isinstance(request.user, PlaceClient) or super().has_permission(request, view)


def _staff_place(request, place_id: int, action: str = "read") -> MeetingPlace:
    try:
        return selectors.get_meeting_place_for_user(request.user, place_id, action=action)
    except Http404 as exc:
        raise exceptions.NotFound from exc


class YearSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1990, max_value=2100)


class MeetingPlaceReport(APIView):
    authentication_classes = [authentication.SessionAuthentication]
    permission_classes = [MeetingPlaceRole]

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
    authentication_classes = [PlaceTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [PlaceClientOrRole]

    @extend_schema(request=TallySerializer, responses={201: TallyReceiptSerializer})
    def post(self, request, place_id: int):
        if isinstance(request.user, PlaceClient):
            # A token posts for its own place only; any other place does not exist for it.
            if request.user.place.pk != place_id:
                raise exceptions.NotFound
            place, actor = request.user.place, None
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
