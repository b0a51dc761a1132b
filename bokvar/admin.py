from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Required, TypedDict, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from bokvar.admin_history import HistoryAdmin
from bokvar.permissions import AuthenticatedRequest

from . import services
from .models import District, Membership, RoleGrant, SecondFactorReset, Unit, User
from .roles import CLIENT_DATA

if TYPE_CHECKING:
    from django.utils.safestring import SafeString
    from django_stubs_ext import StrOrPromise

    # django-stubs names a fieldset's options only privately (_FieldOpts); the same shape.
    _Names = list[str] | tuple[str, ...] | tuple[()]
    _FieldGroups = list[str | _Names] | tuple[str | _Names, ...] | tuple[()]

    class _FieldOpts(TypedDict, total=False):
        classes: Sequence[str]
        description: StrOrPromise
        fields: Required[_FieldGroups]

    _Fieldset = tuple[StrOrPromise | None, _FieldOpts]
    _Fieldsets = list[_Fieldset] | tuple[_Fieldset, ...] | tuple[()]


def _sign_in_first(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    """The admin has no sign-in of its own: its password-only form would skip the second
    factor. It sends to the product's sign-in, which comes back here."""
    target = request.GET.get("next") or reverse("admin:index")
    return redirect(reverse("login") + "?" + urlencode({"next": target}))


admin.site.login = _sign_in_first  # type: ignore[method-assign]  # the product's sign-in replaces the admin's

# django-otp's own admin pages show and edit every user's authenticator keys: an
# administrator could read a colleague's key. Second factors are reset through
# `reset-second-factor` only (another administrator, logged).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class MembershipForm(forms.ModelForm[Membership]):
    """The admin gives roles without client data directly; a role that sees client data
    only through a role request a second administrator approves (RoleGrant)."""

    class Meta:
        model = Membership
        fields = ["user", "unit", "role", "is_lead"]

    def clean_role(self) -> str | None:
        role = self.cleaned_data.get("role")
        before = self.instance.role if self.instance.pk else None
        if role in CLIENT_DATA and role != before:
            raise forms.ValidationError(
                _(
                    "A role that sees client data is given only with a second "
                    "administrator's approval: ask for it under Role requests."
                )
            )
        return role


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User], HistoryAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    readonly_fields = ["second_factor"]
    # Superuser status, groups and permissions reach past the roles: only the break-glass
    # superuser sees them here.
    RESERVED_FIELDS = ("is_superuser", "groups", "user_permissions")

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> _Fieldsets:
        fieldsets = super().get_fieldsets(request, obj)
        if not request.user.is_superuser:
            fieldsets = [
                (
                    name,
                    {
                        **opts,
                        "fields": [f for f in opts["fields"] if f not in self.RESERVED_FIELDS],
                    },
                )
                for name, opts in fieldsets
            ]
        if obj is None:
            return fieldsets
        return [*fieldsets, (_("Second factor"), {"fields": ["second_factor"]})]

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # Setting a colleague's password would let an administrator sign in as them.
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    @admin.display(description=_("Second factor"))
    def second_factor(self, obj: User) -> SafeString | str:
        if obj.pk is None:
            return ""
        return format_html(
            '<a href="{}">{}</a>',
            reverse("reset-second-factor", args=[obj.pk]),
            _("Reset second factor"),
        )

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
class DistrictAdmin(HistoryAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Unit)
class UnitAdmin(HistoryAdmin):
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
class MembershipAdmin(HistoryAdmin):
    form = MembershipForm
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


@admin.register(SecondFactorReset)
class SecondFactorResetAdmin(admin.ModelAdmin[SecondFactorReset]):
    """Read only: the record of who reset whose second factor, and why."""

    list_display = ["at", "actor", "user", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: SecondFactorReset | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: SecondFactorReset | None = None
    ) -> bool:
        return False


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin[RoleGrant]):
    """Role requests: one administrator asks, another approves (the action below)."""

    list_display = ["user", "unit", "role", "is_lead", "requested_by", "approved_by"]
    list_filter = ["role"]
    fields = ["user", "unit", "role", "is_lead"]
    autocomplete_fields = ["unit"]
    actions = ["approve"]

    def has_change_permission(self, request: HttpRequest, obj: RoleGrant | None = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: RoleGrant | None = None) -> bool:
        return super().has_view_permission(request, obj) or self.has_add_permission(request)

    def save_model(
        self,
        request: HttpRequest,
        obj: RoleGrant,
        form: ModelForm[RoleGrant],
        change: bool,
    ) -> None:
        # The admin serves signed-in staff only (AdminSite.admin_view): a bokvar.User.
        obj.requested_by = cast(User, request.user)
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Approve the selected role requests"))
    def approve(self, request: AuthenticatedRequest, queryset: QuerySet[RoleGrant]) -> None:
        for grant in queryset:
            try:
                services.approve_role_grant(grant_id=grant.pk, actor=request.user)
            except services.GrantRefused:
                self.message_user(
                    request,
                    _(
                        "%(grant)s: a second administrator must approve, not the one who asked or the user."
                    )
                    % {"grant": grant},
                    messages.ERROR,
                )
            else:
                self.message_user(request, _("%(grant)s: approved.") % {"grant": grant})
