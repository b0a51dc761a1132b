from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Required, TypedDict, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import connection
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
from .api_clients import revoke_clients
from .models import ApiClient, District, Membership, RoleGrant, SecondFactorReset, Unit, User
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


def _comparable(value: Any) -> Any:
    """A form's initial value in a form that compares the same on every read."""
    if isinstance(value, QuerySet | list | tuple | set):
        return sorted(str(getattr(v, "pk", v)) for v in value)
    return str(getattr(value, "pk", value))


class LockedForm(forms.ModelForm[Any]):
    """Optimistic locking for the admin's change forms (issue 21, point 3): the form
    carries a digest of the values it was opened with; saved after someone else changed
    any of them, it is refused with the conflict message, not saved over their change.
    No version column needed: the digest is of the very fields the form shows."""

    lock_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The form's own fields: a formset adds its id, DELETE and parent fields later.
        self._locked = [name for name in self.fields if name != "lock_token"]
        self.fields["lock_token"].initial = self.state_token()

    def state_token(self) -> str:
        values = [
            (name, _comparable(self.get_initial_for_field(self.fields[name], name)))
            for name in self._locked
        ]
        return hashlib.sha256(repr(values).encode()).hexdigest()[:32]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk and cleaned.get("lock_token") != self.state_token():
            raise forms.ValidationError(
                _(
                    "Someone else saved this record while you were editing it. Nothing of"
                    " yours was saved."
                ),
                code="conflict",
            )
        return cleaned


def locked_for_save(request: HttpRequest, obj: Any) -> Any:
    """The object a change form is built from, its row locked when the form is posted:
    the lock token's check and the save cannot be overtaken. Each locked admin's
    `get_object` passes through here."""
    if obj is not None and request.method == "POST" and connection.in_atomic_block:
        return type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    return obj


class LockedUserChangeForm(LockedForm, UserChangeForm[User]):
    def clean_is_superuser(self) -> bool:
        value = bool(self.cleaned_data.get("is_superuser"))
        if value and self.instance.username not in settings.BREAK_GLASS_USERNAMES:
            raise forms.ValidationError(
                _("Only a break-glass account (BOKVAR_BREAK_GLASS_USERS) may be a superuser.")
            )
        return value


class MembershipForm(LockedForm):
    """The admin gives roles without client data directly; a role that sees client data
    only through a role request a second administrator approves (RoleGrant)."""

    class Meta:
        model = Membership
        fields = ["user", "unit", "role", "is_lead"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if role not in CLIENT_DATA:
            return cleaned
        # A client-data membership is made only by an approved role request: not added
        # here, not made from another role, and not moved to another user or unit (taking
        # over a colleague's caseworker membership gives its cases).
        before = self.instance if self.instance.pk else None
        same = before is not None and (before.role, before.user_id, before.unit_id) == (
            role,
            getattr(cleaned.get("user"), "pk", before.user_id),
            getattr(cleaned.get("unit"), "pk", before.unit_id),
        )
        if not same:
            self.add_error(
                "role",
                _(
                    "A role that sees client data is given only with a second "
                    "administrator's approval: ask for it under Role requests."
                ),
            )
        return cleaned


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    form = MembershipForm
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin[User], HistoryAdmin):
    form = LockedUserChangeForm
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    readonly_fields = ["second_factor"]
    # Superuser status, groups and permissions reach past the roles: only the break-glass
    # superuser sees them here.
    RESERVED_FIELDS = ("is_superuser", "groups", "user_permissions")

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        return locked_for_save(request, super().get_object(request, object_id, from_field))

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
        return [
            *fieldsets,
            # The lock token rides along hidden (LockedForm).
            (_("Second factor"), {"fields": ["second_factor", "lock_token"]}),
        ]

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
    form = LockedForm
    list_display = ["name", "code"]
    search_fields = ["name", "code"]

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        return locked_for_save(request, super().get_object(request, object_id, from_field))


@admin.register(Unit)
class UnitAdmin(HistoryAdmin):
    form = LockedForm
    list_display = ["name", "kind", "district", "is_active"]
    list_filter = ["district", "kind", "is_active"]
    search_fields = ["name"]

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        return locked_for_save(request, super().get_object(request, object_id, from_field))

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

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        return locked_for_save(request, super().get_object(request, object_id, from_field))

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


_API_CLIENT_COLUMNS = (
    "name",
    "kind",
    "prefix",
    "subject_id",
    "district",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
)


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    """API clients: listed and revoked here; created with `manage.py api_client create`
    (the token is printed once, and a form would have to show it on a page)."""

    list_display = _API_CLIENT_COLUMNS
    list_filter = ["kind"]
    readonly_fields = _API_CLIENT_COLUMNS
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected API clients"), permissions=["view"])
    def revoke(self, request: AuthenticatedRequest, queryset: QuerySet[ApiClient]) -> None:
        count = sum(
            revoke_clients(kind=client.kind, pk=client.pk, actor=request.user)
            for client in queryset
        )
        self.message_user(request, _("%(count)d API client(s) revoked.") % {"count": count})


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
