"""POST /api/v1/shelter-nights/: a batch of nights with the same rules as the invoice import."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from bokvar.api import ApiClientAuthentication, ClientScope, client_of
from bokvar.models import ApiClient
from bokvar.roles import HOUSING
from bokvar.selectors import roles_of

from . import nights


class NightRowSerializer(serializers.Serializer):
    personal_number = serializers.CharField(max_length=20)
    shelter = serializers.CharField(max_length=120)
    night = serializers.CharField(max_length=10)
    paying_unit = serializers.CharField(max_length=120)


class NightBatchSerializer(serializers.Serializer):
    nights = NightRowSerializer(many=True, allow_empty=False, max_length=100_000)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    reason = serializers.CharField()


class BatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.ListField(
        child=serializers.IntegerField(), help_text="Rows already registered."
    )
    # A declared field named like Serializer.errors: DRF's metaclass moves it among the fields.
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]  # see above


class BatchRefusalSerializer(serializers.Serializer):
    """A refused batch (nothing saved): the rows' reasons, or the fields' when the body
    itself was malformed."""

    detail = serializers.CharField()
    created = serializers.IntegerField(required=False)
    duplicates = serializers.ListField(child=serializers.IntegerField(), required=False)
    errors = serializers.JSONField(  # type: ignore[assignment]  # a field, as above
        required=False, help_text="A list of {row, reason}, or messages by field."
    )


class ShelterNightBatch(APIView):
    """Register a batch of shelter nights: all or nothing; duplicates are reported and skipped.

    A shelter's system posts with its API client's token (kind shelter); coordinators and
    housing guides with their session."""

    authentication_classes = [ApiClientAuthentication, SessionAuthentication]
    permission_classes = [ClientScope, IsAuthenticated]
    client_kinds = (ApiClient.Kind.SHELTER,)
    serializer_class = NightBatchSerializer

    @extend_schema(
        request=NightBatchSerializer,
        responses={201: BatchResultSerializer, 400: BatchRefusalSerializer},
    )
    def post(self, request):
        client = client_of(request)
        only_shelter = None
        if client is not None:
            # A shelter's system registers its own shelter's nights as the import command
            # does (no staff member's units limit the paying unit; history names the
            # system account).
            actor, only_shelter = None, client.subject_id
        elif roles_of(request.user).has(*HOUSING):
            actor = request.user
        else:
            return Response(
                {"detail": "Only coordinators and housing guides register nights."}, status=403
            )
        batch = NightBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        rows = [
            nights.BatchRow(line=i, **row)
            for i, row in enumerate(batch.validated_data["nights"], start=1)
        ]
        result = nights.import_batch(
            actor=actor, rows=rows, source="api", only_shelter=only_shelter
        )
        body = {
            **({} if result.ok else {"detail": "invalid"}),
            "created": result.created,
            "duplicates": result.duplicates,
            "errors": [{"row": line, "reason": reason} for line, reason in result.errors],
        }
        return Response(
            body, status=status.HTTP_201_CREATED if result.ok else status.HTTP_400_BAD_REQUEST
        )
