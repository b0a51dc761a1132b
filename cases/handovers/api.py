"""Handovers API: list what the user may see, send, accept and return, with the same
permissions as the pages. A decision someone else made first answers 409."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.hooks import How, record_read, record_reads
from bokvar.api import ClientScope, signed_in_user
from bokvar.models import Unit, User
from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of
from cases import case_page
from cases.core.selectors.people import Sight
from cases.models import Handover

from . import selectors
from .services import deciding, sending


class IsStaff(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return roles_of(request.user).has(*CASE_STAFF)


class HandoverSerializer(serializers.ModelSerializer[Handover]):
    case = serializers.CharField(source="case.number", read_only=True)
    from_unit = serializers.CharField(source="from_unit.name", read_only=True)
    to_unit = serializers.CharField(source="to_unit.name", read_only=True)
    # Free text about the household: withheld from a reader not granted its protected
    # member (the one visibility rule, `cases.core.selectors.people.Sight`).
    reason = serializers.SerializerMethodField()
    expectations = serializers.SerializerMethodField()
    return_reason = serializers.SerializerMethodField()

    class Meta:
        model = Handover
        fields = [
            "id",
            "case",
            "kind",
            "from_unit",
            "to_unit",
            "reason",
            "expectations",
            "urgency",
            "status",
            "sent_at",
            "seen_at",
            "accepted_at",
            "taken_by",
            "returned_at",
            "return_reason",
            "return_acknowledged_at",
            "closed_at",
        ]
        read_only_fields = fields

    def _shown(self, handover: Handover, value: str) -> str:
        # One Sight per response: the context is the root serializer's dict, shared by the
        # rows of a list (drf-stubs type it as a read-only Mapping).
        context = cast(dict[str, Any], self.context)
        if "sight" not in context:
            request = context.get("request")
            context["sight"] = Sight(getattr(request, "user", None))
        sight: Sight = context["sight"]
        return sight.text(sight.hides_case(handover.case), value)

    def get_reason(self, handover: Handover) -> str:
        return self._shown(handover, handover.reason)

    def get_expectations(self, handover: Handover) -> str:
        return self._shown(handover, handover.expectations)

    def get_return_reason(self, handover: Handover) -> str:
        return self._shown(handover, handover.return_reason)


class SummaryLineSerializer(serializers.Serializer[Any]):
    # A declared field named like Field.label: DRF's metaclass moves it among the fields.
    label = serializers.CharField()  # type: ignore[assignment]  # the API's field name, kept
    value = serializers.CharField()


class DecisionSummarySerializer(serializers.Serializer[selectors.DecisionSummary]):
    """What the receiving unit decides on: no names, no identity numbers."""

    case_number = serializers.CharField()
    adults = serializers.IntegerField()
    children_ages = serializers.ListField(child=serializers.IntegerField())
    lines = SummaryLineSerializer(many=True)

    def to_representation(self, instance: selectors.DecisionSummary) -> dict[str, Any]:
        return {
            "case_number": instance.case_number,
            "adults": instance.adults,
            "children_ages": list(instance.children_ages),
            "lines": [{"label": str(k), "value": str(v)} for k, v in instance.lines],
        }


class HandoverDetailSerializer(HandoverSerializer):
    summary = serializers.SerializerMethodField()

    class Meta(HandoverSerializer.Meta):
        fields = [*HandoverSerializer.Meta.fields, "summary"]
        read_only_fields = fields

    @extend_schema_field(DecisionSummarySerializer)
    def get_summary(self, handover: Handover) -> dict[str, Any]:
        return DecisionSummarySerializer(
            selectors.decision_summary(handover, lines=case_page.summary_for(handover.case))
        ).data


class SendSerializer(serializers.Serializer[Any]):
    case_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Handover.Kind.choices)
    to_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(is_active=True), required=False, allow_null=True
    )
    from_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(is_active=True), required=False, allow_null=True
    )
    reason = serializers.CharField()
    expectations = serializers.CharField(required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Handover.Urgency.choices, default="normal")
    # Let the accepting unit see the household's protected people (only for a sender
    # granted them; refused with a 400 naming the field otherwise).
    grants_protected = serializers.BooleanField(required=False, default=False)


class ReturnSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()


class AcceptSerializer(serializers.Serializer[Any]):
    """Who in the unit takes the case (a user id); left out, the one accepting takes it
    when they may (`deciding.accept_handover`)."""

    taken_by = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


T = TypeVar("T")


def _call(fn: Callable[[], T]) -> T | Response:
    """A decision someone else made first answers 409 (403, 404 and a refusal naming the
    field come from the shared exception handler, bokvar.api)."""
    try:
        return fn()
    except deciding.HandoverConflict as exc:
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)


class HandoverList(generics.ListAPIView[Handover]):
    permission_classes = [ClientScope, IsStaff]
    serializer_class = HandoverSerializer

    def get_queryset(self) -> QuerySet[Handover]:
        if getattr(self, "swagger_fake_view", False):
            return Handover.objects.none()
        qs = selectors.visible_handovers(signed_in_user(self.request)).select_related(
            "case", "from_unit", "to_unit"
        )
        if self.request.query_params.get("box") == "inbox":
            qs = qs.filter(selectors.inbox_q(signed_in_user(self.request)))
        return qs.order_by("-sent_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        if page is None:
            # Every list is paginated (REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS).
            raise ImproperlyConfigured("The handover list needs a paginator.")
        record_reads(request, objs=[handover.case for handover in page], how=How.API)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=SendSerializer, responses={201: HandoverSerializer, 200: HandoverSerializer}
    )
    def post(self, request: Request) -> Response:
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        case_id = values.pop("case_id")

        def send() -> Response:
            handover, created = sending.send_handover(
                actor=signed_in_user(request), case_id=case_id, **values
            )
            return Response(
                HandoverSerializer(handover, context={"request": request}).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

        return _call(send)


class HandoverDetail(generics.RetrieveAPIView[Handover]):
    """One handover with its decision summary; opening it marks it seen, as the page does."""

    permission_classes = [ClientScope, IsStaff]
    serializer_class = HandoverDetailSerializer
    queryset = Handover.objects.none()

    def get_object(self) -> Handover:
        handover = selectors.get_handover_for_user(signed_in_user(self.request), self.kwargs["pk"])
        handover = deciding.mark_seen(actor=signed_in_user(self.request), handover_id=handover.pk)
        # The decision summary is case data too (household, threat), so the read is recorded.
        record_read(self.request, obj=handover.case, how=How.API)
        return handover


class HandoverAccept(APIView):
    permission_classes = [ClientScope, IsStaff]

    @extend_schema(request=AcceptSerializer, responses={200: HandoverSerializer})
    def post(self, request: Request, pk: int) -> Response:
        selectors.get_handover_for_user(signed_in_user(request), pk, action="decide")
        data = AcceptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _call(
            lambda: Response(
                HandoverSerializer(
                    deciding.accept_handover(
                        actor=signed_in_user(request),
                        handover_id=pk,
                        taken_by=data.validated_data.get("taken_by"),
                    ),
                    context={"request": request},
                ).data
            )
        )


class HandoverReturn(APIView):
    permission_classes = [ClientScope, IsStaff]

    @extend_schema(request=ReturnSerializer, responses={200: HandoverSerializer})
    def post(self, request: Request, pk: int) -> Response:
        selectors_check = selectors.get_handover_for_user  # 404/403 before input errors
        _call(lambda: selectors_check(signed_in_user(request), pk, action="decide"))
        data = ReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _call(
            lambda: Response(
                HandoverSerializer(
                    deciding.return_handover(
                        actor=signed_in_user(request),
                        handover_id=pk,
                        reason=data.validated_data["reason"],
                    ),
                    context={"request": request},
                ).data
            )
        )


class HandoverClose(APIView):
    """Close an accepted consultation: the consulted unit stops reading the case."""

    permission_classes = [ClientScope, IsStaff]

    @extend_schema(request=None, responses={200: HandoverSerializer, 409: None})
    def post(self, request: Request, pk: int) -> Response:
        return _call(
            lambda: Response(
                HandoverSerializer(
                    deciding.close_consultation(actor=signed_in_user(request), handover_id=pk),
                    context={"request": request},
                ).data
            )
        )


class HandoverAcknowledge(APIView):
    """The sending unit has read why its handover came back."""

    permission_classes = [ClientScope, IsStaff]

    @extend_schema(request=None, responses={200: HandoverSerializer})
    def post(self, request: Request, pk: int) -> Response:
        return _call(
            lambda: Response(
                HandoverSerializer(
                    deciding.acknowledge_return(actor=signed_in_user(request), handover_id=pk),
                    context={"request": request},
                ).data
            )
        )
