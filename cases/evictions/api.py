"""Signals API. A landlord's system authenticates with its token and may only create
signals and read back the receipts of its own; staff use their session and see the
signals their role allows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, generics, permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.hooks import How, record_read, record_reads
from bokvar.api import ApiClientAuthentication, ClientScope, client_of, signed_in_user
from bokvar.forms import ADDRESS_MAX, NAME_MAX, NOTE_MAX
from bokvar.models import ApiClient
from bokvar.roles import CASE_STAFF
from bokvar.selectors import roles_of
from cases.models import Landlord, LandlordSignal

from . import selectors
from .services.landlord_signals import SignalInput, receive_signal
from .services.tokens import landlord_of_client


def is_landlord(request: Request) -> bool:
    client = client_of(request)
    return client is not None and client.kind == ApiClient.Kind.LANDLORD


def landlord_of(request: Request) -> Landlord:
    """The landlord whose token authenticated `request` (callers ask `is_landlord` first)."""
    client = client_of(request)
    landlord = landlord_of_client(client) if client is not None else None
    if landlord is None:
        # A landlord made inactive: its tokens are revoked with it (services.landlords).
        raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
    return landlord


class IsStaffOrLandlord(permissions.BasePermission):
    """Landlord clients may create and read receipts (ClientScope lets no other kind of
    client this far); staff need a workflow role."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if is_landlord(request):
            return True
        return roles_of(request.user).has(*CASE_STAFF)


class SignalCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=LandlordSignal.Kind.choices)
    received_on = serializers.DateField()
    personal_number = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20
    )
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=NAME_MAX)
    address = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=ADDRESS_MAX
    )
    arrears_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX
    )
    landlord_warned_tenant = serializers.BooleanField(required=False, allow_null=True, default=None)
    landlord_notified_board = serializers.BooleanField(
        required=False, allow_null=True, default=None
    )
    # Misconduct (12 kap. 25 §, 43 §): when the landlord warned the tenant and told the
    # board, or that they claim particularly serious disturbances.
    landlord_warned_tenant_on = serializers.DateField(required=False, allow_null=True, default=None)
    landlord_notified_board_on = serializers.DateField(
        required=False, allow_null=True, default=None
    )
    particularly_serious = serializers.BooleanField(required=False, default=False)


class ReceiptSerializer(serializers.ModelSerializer[LandlordSignal]):
    """What a landlord reads back: that we have the signal and when, nothing more.

    Never its status: "linked" or "dismissed" would tell the landlord whether the tenant
    is a client of social services, which is itself secret (offentlighets- och
    sekretesslagen (2009:400) 26 kap. 1 §: secrecy for "uppgift om enskilds personliga
    förhållanden" in social services). Nothing here may depend on what social services know
    or did (tests/cases/evictions/test_landlord_learns_nothing.py)."""

    class Meta:
        model = LandlordSignal
        fields = ["id", "kind", "received_on", "created_at"]
        read_only_fields = fields


class StaffSignalSerializer(serializers.ModelSerializer[LandlordSignal]):
    landlord = serializers.CharField(source="landlord.display_name", read_only=True)
    case = serializers.CharField(source="case.number", read_only=True, default=None)
    district = serializers.CharField(source="district.code", read_only=True, default=None)
    # The one visibility rule (`selectors.mark_withheld`): no free text of a signal naming
    # a person with protected identity the reader was not granted.
    description = serializers.SerializerMethodField()
    protected_identity = serializers.SerializerMethodField()

    class Meta:
        model = LandlordSignal
        fields = [
            "protected_identity",
            "id",
            "landlord",
            "district",
            "kind",
            "channel",
            "received_on",
            "status",
            "arrears_amount",
            "description",
            "landlord_warned_tenant",
            "landlord_notified_board",
            "landlord_warned_tenant_on",
            "landlord_notified_board_on",
            "particularly_serious",
            "case",
            "repeat_of",
            "first_contact_days",
            "created_at",
        ]
        read_only_fields = fields

    def get_description(self, signal: LandlordSignal) -> str:
        return "" if getattr(signal, "withheld", True) else signal.description

    def get_protected_identity(self, signal: LandlordSignal) -> bool:
        """True where the signal's text is withheld from this reader."""
        return getattr(signal, "withheld", True)


class SignalList(generics.ListCreateAPIView[LandlordSignal]):
    authentication_classes = [ApiClientAuthentication, authentication.SessionAuthentication]
    permission_classes = [ClientScope, IsStaffOrLandlord]
    client_kinds = (ApiClient.Kind.LANDLORD,)

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.request is not None and self.request.method == "POST":
            return SignalCreateSerializer
        if self.request is not None and is_landlord(self.request):
            return ReceiptSerializer
        return StaffSignalSerializer

    def get_queryset(self) -> QuerySet[LandlordSignal]:
        if getattr(self, "swagger_fake_view", False):
            return LandlordSignal.objects.none()
        if is_landlord(self.request):
            return LandlordSignal.objects.filter(landlord=landlord_of(self.request)).order_by("-id")
        return (
            selectors.visible_signals(signed_in_user(self.request))
            .select_related("landlord", "case", "district")
            .order_by("-received_on", "-id")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Always a page: REST_FRAMEWORK's DEFAULT_PAGINATION_CLASS paginates every list.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        if not is_landlord(request):
            page = selectors.mark_withheld(request.user, page)
            record_reads(request, objs=page, how=How.API)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=SignalCreateSerializer, responses={201: ReceiptSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not is_landlord(request):
            # Staff register signals through the triage pages, where they are checked.
            raise exceptions.PermissionDenied("Only a landlord's system may post signals here.")
        serializer = SignalCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A refusal answers 400 naming the field (bokvar.api.exception_handler).
        signal = receive_signal(
            landlord=landlord_of(request),
            data=SignalInput(channel=LandlordSignal.Channel.API, **serializer.validated_data),
        )
        return Response(ReceiptSerializer(signal).data, status=201)


class SignalDetail(generics.RetrieveAPIView[LandlordSignal]):
    authentication_classes = [ApiClientAuthentication, authentication.SessionAuthentication]
    permission_classes = [ClientScope, IsStaffOrLandlord]
    client_kinds = (ApiClient.Kind.LANDLORD,)
    queryset = LandlordSignal.objects.none()

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.request is not None and is_landlord(self.request):
            return ReceiptSerializer
        return StaffSignalSerializer

    def get_object(self) -> LandlordSignal:
        if is_landlord(self.request):
            # Another landlord's signal is as unknown as a missing one.
            return get_object_or_404(
                LandlordSignal, pk=self.kwargs["pk"], landlord=landlord_of(self.request)
            )
        user = signed_in_user(self.request)
        signal = selectors.get_signal_for_user(user, self.kwargs["pk"])
        (signal,) = selectors.mark_withheld(user, [signal])
        record_read(self.request, obj=signal, how=How.API)
        return signal
