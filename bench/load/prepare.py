"""Accounts for the load test: staff of every role with their known authenticator key.

The generated benchmark staff have a password but no second factor; each account the
load test signs in with gets the demo device (`second_factor.ensure_demo_device`, the
same known key `make run`'s demo users have). A scale without an auditor among its
generated staff (city: three staff per housing team) gets one load-test auditor.
Writes the plan the locust file reads: role -> [{username, key}] and the password.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db import transaction

from bokvar import bulk, second_factor
from bokvar.history import system_user
from bokvar.models import Membership, Role, Unit, User

ROLES = [Role.COORDINATOR, Role.CASEWORKER, Role.GUIDE, Role.STEERING, Role.AUDITOR]


def _missing_auditor(password: str) -> None:
    unit = Unit.objects.filter(kind=Unit.Kind.HOUSING_TEAM).order_by("id").first()
    if unit is None or User.objects.filter(username="load-auditor").exists():
        return
    attribution: bulk.Attribution = {"user_id": system_user().pk, "reason": "load test account"}
    (user,) = bulk.insert(
        User,
        [
            User(
                username="load-auditor",
                first_name="Load",
                last_name="Auditor",
                password=make_password(password),
            )
        ],
        **attribution,
    )
    bulk.insert(Membership, [Membership(user=user, unit=unit, role=Role.AUDITOR)], **attribution)


@transaction.atomic
def prepare(*, per_role: int, password: str, out: Path) -> dict:
    if not Membership.objects.filter(role=Role.AUDITOR).exists():
        _missing_auditor(password)
    plan: dict = {"password": password, "accounts": {}}
    # The last accounts of each role: `make bench` signs its pages in as the first ones
    # without a second factor (force_login), which a device would turn into redirects.
    for role in ROLES:
        users = list(
            User.objects.filter(memberships__role=role, is_active=True)
            .distinct()
            .order_by("-id")[:per_role]
        )
        for user in users:
            second_factor.ensure_demo_device(user)
        plan["accounts"][str(role)] = [
            {"username": u.username, "key": second_factor.demo_key(u.username)} for u in users
        ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(plan, indent=1))
    return plan
