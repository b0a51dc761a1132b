"""Demo organisation: one district, its units and one user per role.

`seed_demo` runs each app's `demo.seed(ctx)` in dependency order; every seeder is
idempotent, so running the command twice changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission

from . import second_factor, services
from .history import attribute, system_user
from .models import District, Role, Unit, User

DEMO_UNITS = [
    ("Bo Kvar-teamet", Unit.Kind.HOUSING_TEAM),
    ("Vuxenenheten", Unit.Kind.ADULT),
    ("Socialpsykiatri", Unit.Kind.SOCIAL_PSYCHIATRY),
    ("Äldreomsorg", Unit.Kind.ELDERLY_CARE),
    ("Försörjningsstöd", Unit.Kind.INCOME_SUPPORT),
    ("Enheten för funktionshindrade", Unit.Kind.DISABILITY),
    ("Unga vuxna", Unit.Kind.YOUNG_ADULTS),
    ("Budget- och skuldrådgivning", Unit.Kind.DEBT_COUNSELLING),
]

# username, first name, last name, unit kind, role, unit lead
DEMO_USERS = [
    ("coordinator", "Anette", "Sjöberg", Unit.Kind.HOUSING_TEAM, Role.COORDINATOR, True),
    ("guide", "Anna", "Chroneér", Unit.Kind.HOUSING_TEAM, Role.GUIDE, False),
    ("caseworker", "Karin", "Lindqvist", Unit.Kind.ADULT, Role.CASEWORKER, True),
    ("caseworker2", "Omar", "Haddad", Unit.Kind.INCOME_SUPPORT, Role.CASEWORKER, True),
    ("steering", "Ulla", "Berg", Unit.Kind.HOUSING_TEAM, Role.STEERING, False),
    ("auditor", "Per", "Ekström", Unit.Kind.HOUSING_TEAM, Role.AUDITOR, False),
    ("admin", "Sara", "Nilsson", Unit.Kind.HOUSING_TEAM, Role.ADMINISTRATOR, False),
    # Works at the meeting place Balder (partners.demo assigns the place).
    (
        "skotare",
        "Leif",
        "Åkerlund",
        Unit.Kind.SOCIAL_PSYCHIATRY,
        Role.MEETING_PLACE_STAFF,
        False,
    ),
]

# Models the administrator role configures in the admin (no client data).
ADMIN_MODELS = {
    "bokvar": ["user", "unit", "membership", "district", "rolegrant"],
    # Shelters and their prices per night, and the kinds of cost (DESIGN §2: shelters
    # are configuration; the README sends the demo admin here to set prices).
    "housing": ["shelter", "shelterprice", "costcategory"],
    "partners": ["placestaff"],
}

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


@dataclass
class DemoContext:
    password: str
    scale: str = "demo"
    stdout: SupportsWrite[str] | None = None
    rng: random.Random = field(default_factory=lambda: random.Random(2026))  # noqa: S311 - demo data
    district: District | None = None
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def log(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)


def ensure_organisation(password: str) -> tuple[District, dict[str, Unit], dict[str, User]]:
    district = District.objects.filter(code="norrmalm").first()
    if district is None:
        district = attribute(
            District(code="norrmalm", name="Norrmalm"), user=system_user(), reason="demo data"
        )
        district.save()
    units: dict[str, Unit] = {}
    for name, kind in DEMO_UNITS:
        unit = Unit.objects.filter(district=district, name=name).first()
        units[kind] = unit or services.create_unit(district=district, name=name, kind=kind)
    users: dict[str, User] = {}
    for username, first, last, unit_kind, role, lead in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first, last_name=last)
            user.email = f"{username}@bokvar.example"
            user.set_password(password)
            attribute(user, user=system_user(), reason="demo data").save()
        services.add_membership(user=user, unit=units[unit_kind], role=role, is_lead=lead)
        # A known authenticator key, so the demo can be signed into (README, demo_code).
        second_factor.ensure_demo_device(user)
        users[username] = user
    _ensure_admin_rights(users["admin"])
    return district, units, users


def _ensure_admin_rights(user: User) -> None:
    group, _ = Group.objects.get_or_create(name="administrators")
    perms = Permission.objects.filter(
        content_type__app_label__in=list(ADMIN_MODELS),
    )
    wanted = [
        p for p in perms if p.content_type.model in ADMIN_MODELS.get(p.content_type.app_label, [])
    ]
    group.permissions.add(*wanted)
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(group)


def seed(ctx: DemoContext) -> None:
    ctx.district, ctx.units, ctx.users = ensure_organisation(ctx.password)
    ctx.log(f"Organisation: {len(ctx.units)} units, {len(ctx.users)} demo users.")
