from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from bokvar.permissions import AuthenticatedRequest

from . import services
from .models import District, Membership, Unit, User


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User], SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history ships no types
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]

    def save_related(
        self,
        request: HttpRequest,
        form: ModelForm[User],
        formsets: list[BaseFormSet[Any]],
        change: bool,
    ) -> None:
        super().save_related(request, form, formsets, change)
        # Inline edits bypass the services; bring the unit groups in line afterwards.
        services.sync_unit_groups(form.instance)


@admin.register(District)
class DistrictAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history ships no types
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Unit)
class UnitAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history ships no types
    list_display = ["name", "kind", "district", "is_active"]
    list_filter = ["district", "kind", "is_active"]
    search_fields = ["name"]

    def save_model(
        self, request: AuthenticatedRequest, obj: Unit, form: ModelForm[Unit], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.create_unit(
            district=obj.district,
            name=obj.name,
            kind=obj.kind,
            email=obj.email,
            actor=request.user,
            reason="unit created in the admin",
        )
        obj.pk, obj.group_id = created.pk, created.group_id


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history ships no types
    list_display = ["user", "unit", "role", "is_lead"]
    list_filter = ["role", "unit"]
    autocomplete_fields = ["unit"]

    def save_model(
        self,
        request: AuthenticatedRequest,
        obj: Membership,
        form: ModelForm[Membership],
        change: bool,
    ) -> None:
        super().save_model(request, obj, form, change)
        services.sync_unit_groups(obj.user)

    def delete_model(self, request: AuthenticatedRequest, obj: Membership) -> None:
        services.remove_membership(
            membership=obj, actor=request.user, reason="membership removed in the admin"
        )
