"""Who changed a record and why, for simple-history. Requests set the user through
the middleware; services, tasks and commands name the actor explicitly."""

from __future__ import annotations

from django.db import models

SYSTEM_USERNAME = "bokvar-system"


def system_user():
    """The account scheduled tasks and commands act as. It cannot sign in."""
    from .models import User

    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "Bo Kvar", "last_name": "(system)", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def attribute(instance: models.Model, *, user, reason: str) -> models.Model:
    """Name the actor and the reason on the next history row of `instance`."""
    instance._history_user = user
    instance._change_reason = reason
    return instance
