"""Changes to roles and memberships, and the break-glass superuser's sign-ins, go into the
hash-chained access log, flagged for the auditor (issue 21, point 3). Receivers, not
calls in the admin: every way a membership is written (the admin's forms and inlines, a
role request's approval, the services) passes here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from bokvar.models import Membership, RoleGrant, User
from bokvar.sso import membership_mapped

from .hooks import record_admin_change, record_superuser_use

# Account fields that widen what a user may reach.
STATUS_FIELDS = ("is_superuser", "is_staff", "is_active")


@receiver(post_save, sender=Membership, dispatch_uid="audit-membership-saved")
@receiver(post_delete, sender=Membership, dispatch_uid="audit-membership-deleted")
@receiver(post_save, sender=RoleGrant, dispatch_uid="audit-role-grant-saved")
def membership_changed(sender: Any, instance: Membership | RoleGrant, **kwargs: Any) -> None:
    record_admin_change(
        obj=instance, actor=getattr(instance, "_history_user", None), unit_id=instance.unit_id
    )


@receiver(pre_save, sender=User, dispatch_uid="audit-user-status-before")
def account_status_before(
    sender: Any, instance: User, update_fields: Any = None, **kw: Any
) -> None:
    if update_fields is not None and not set(STATUS_FIELDS) & set(update_fields):
        return  # a sign-in's last_login, a name: nothing that widens reach
    if instance.pk is None:
        instance._status_changed = instance.is_superuser or instance.is_staff  # type: ignore[attr-defined]
        return
    before = User.objects.filter(pk=instance.pk).values(*STATUS_FIELDS).first() or {}
    instance._status_changed = any(  # type: ignore[attr-defined]
        before.get(f) != getattr(instance, f) for f in STATUS_FIELDS
    )


@receiver(post_save, sender=User, dispatch_uid="audit-user-status-after")
def account_status_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    if getattr(instance, "_status_changed", False):
        instance._status_changed = False  # type: ignore[attr-defined]
        record_admin_change(obj=instance, actor=getattr(instance, "_history_user", None))


@receiver(user_logged_in, dispatch_uid="audit-superuser-sign-in")
def superuser_signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if getattr(user, "is_superuser", False) and request is not None:
        record_superuser_use(request, user)


@receiver(membership_mapped, dispatch_uid="audit-membership-mapped-by-sso")
def membership_mapped_by_sso(
    sender: Any, user: User, membership: Membership, unit_id: int, **kwargs: Any
) -> None:
    """Single sign-on gave or took a role at this person's sign-in: the system made the
    change (so `membership_changed` skipped it); the log names the person it concerns."""
    record_admin_change(obj=membership, actor=user, unit_id=unit_id)
