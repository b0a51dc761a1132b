"""POST /api/v1/shelter-nights/: a batch of nights with the same rules as the invoice import."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

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


class ShelterNightBatch(APIView):
    """Register a batch of shelter nights: all or nothing; duplicates are reported and skipped."""

    serializer_class = NightBatchSerializer

    def post(self, request):
        if not roles_of(request.user).has(*HOUSING):
            return Response(
                {"detail": "Only coordinators and housing guides register nights."}, status=403
            )
        batch = NightBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        rows = [
            nights.BatchRow(line=i, **row)
            for i, row in enumerate(batch.validated_data["nights"], start=1)
        ]
        result = nights.import_batch(actor=request.user, rows=rows, source="api")
        body = {
            "created": result.created,
            "duplicates": result.duplicates,
            "errors": [{"row": line, "reason": reason} for line, reason in result.errors],
        }
        return Response(
            body, status=status.HTTP_201_CREATED if result.ok else status.HTTP_400_BAD_REQUEST
        )
