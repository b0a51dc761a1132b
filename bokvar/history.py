"""Who changed a record and why, for simple-history. Requests set the user through
the middleware; services, tasks and commands name the actor explicitly."""

from __future__ import annotations

from django.db import models

SYSTEM_USERNAME = "bokvar-system"


def system_user():
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


def attribute(instance: models.Model, *, user, reason: str) -> models.Model:
    """Name the actor and the reason on the next history row of `instance`."""
    instance._history_user = user
    instance._change_reason = reason
    return instance
