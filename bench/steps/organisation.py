"""Districts, their units (each with its group) and staff with roles."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from bokvar import bulk
from bokvar.history import system_user
from bokvar.models import District, Membership, Role, Unit, User

from ..generate import GenContext

UNIT_KINDS = [kind for kind, _ in Unit.Kind.choices]


def run(ctx: GenContext) -> None:
    scale = ctx.scale
    ctx.system_user_id = system_user().pk
    # Every generated row's history row: by the system account, "generated".
    history: bulk.Attribution = {"user_id": ctx.system_user_id, "reason": "generated"}
    districts = bulk.insert(
        District,
        [
            District(name=f"Stadsdel {i + 1:03d}", code=f"sd-{i + 1:03d}")
            for i in range(scale.districts)
        ],
        **history,
    )
    ctx.districts = [d.pk for d in districts]
    groups = Group.objects.bulk_create(
        [
            Group(name=f"unit:{d.code}:{kind}")
            for d in districts
            for kind in UNIT_KINDS[: scale.units_per_district]
        ]
    )
    units = []
    group_iter = iter(groups)
    for d in districts:
        for kind in UNIT_KINDS[: scale.units_per_district]:
            units.append(
                Unit(district=d, name=f"{d.name} {kind}", kind=kind, group=next(group_iter))
            )
    bulk.insert(Unit, units, **history)
    ctx.units = [(u.pk, u.district_id, u.kind, u.group_id) for u in units]

    password = make_password(ctx.password)
    users, memberships, group_links = [], [], []
    plan = []
    for unit in units:
        for n in range(scale.staff_per_unit):
            if unit.kind == Unit.Kind.HOUSING_TEAM:
                role = [
                    Role.COORDINATOR,
                    Role.GUIDE,
                    Role.STEERING,
                    Role.AUDITOR,
                    Role.GUIDE,
                    Role.COORDINATOR,
                ][n % 6]
            else:
                role = Role.CASEWORKER
            username = f"{unit.district.code}-{unit.kind}-{n}"
            users.append(
                User(username=username, first_name="Bench", last_name=username, password=password)
            )
            plan.append((unit, role))
    bulk.insert(User, users, **history)
    through = User.groups.through
    for user, (unit, role) in zip(users, plan, strict=True):
        memberships.append(
            Membership(user=user, unit=unit, role=role, is_lead=role == Role.CASEWORKER)
        )
        if role in (Role.CASEWORKER, Role.COORDINATOR):
            group_links.append(through(user_id=user.pk, group_id=unit.group_id))
        ctx.staff.setdefault(role, []).append((user.pk, unit.district_id, unit.pk))
    bulk.insert(Membership, memberships, **history)
    through.objects.bulk_create(group_links, batch_size=5000)
    ctx.log(f"  {len(districts)} districts, {len(units)} units, {len(users)} staff")
