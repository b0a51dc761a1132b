"""Who changed a record and why, for simple-history. Requests set the user through
the middleware; services, tasks and commands name the actor explicitly."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from .models import User

M = TypeVar("M", bound=models.Model)

SYSTEM_USERNAME = "bokvar-system"


def system_user() -> User:
    """The account scheduled tasks and commands act as. It cannot sign in."""
    from .models import User

    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(
            username=SYSTEM_USERNAME, first_name="Bo Kvar", last_name="(system)", is_active=False
        )
        user.set_unusable_password()
        # The system account's own creation is its first act.
        attribute(user, user=user, reason="system account created").save()
    return user


def attribute(instance: M, *, user: User | None, reason: str) -> M:
    """Name the actor and the reason on the next history row of `instance`.
    Returns `instance` itself, typed as its own model, so a call can be chained."""
    # simple-history reads these two private attributes when it writes the history row.
    instance._history_user = user  # type: ignore[attr-defined]  # simple-history's hook, set on any model
    instance._change_reason = reason  # type: ignore[attr-defined]  # as above
    return instance


def history_of(model: type[models.Model]) -> Any:
    """simple-history's manager of `model`'s history rows. simple-history ships no
    types, so here, in one place, its manager becomes `Any`."""
    return model.history  # type: ignore[attr-defined]  # added by HistoricalRecords, untyped


def field_label(model: type[models.Model] | models.Model, name: str) -> str:
    """The verbose name of the column `name` changed in a history diff (a diff lists
    columns, so this is a concrete field; anything else shows by its name)."""
    field = model._meta.get_field(name)
    return str(field.verbose_name) if isinstance(field, models.Field) else name


def give_reason(instance: M, reason: str) -> M:
    """Name only the reason on the next history row of `instance`: the actor is left to
    simple-history, which records the request's user (unlike `attribute(user=None)`,
    which records no one)."""
    instance._change_reason = reason  # type: ignore[attr-defined]  # simple-history's hook
    return instance
