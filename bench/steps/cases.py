"""Households, people (encrypted, with blind indexes) and cases with their grants and history."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from django.contrib.auth.models import Permission
from django.db import connection
from tqdm import tqdm

from bokvar import bulk
from bokvar.models import Role
from cases.core.demo import FAMILY, MEN, STREETS, WOMEN, random_personal_number
from cases.core.identity import (
    birth_year_band,
    name_index,
    name_token_index_set,
    personal_number_index,
)
from cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Household,
    HouseholdChild,
    Person,
    PersonNameToken,
)

from ..generate import GenContext, batched
from . import plans


def run(ctx: GenContext) -> None:
    rng = ctx.rng
    today = date.today()
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="cases")}
    unit_by_id = {unit[0]: unit for unit in ctx.units}
    units_by_district: dict[int, list] = {}
    for unit in ctx.units:
        units_by_district.setdefault(unit[1], []).append(unit)
    staff_by_unit: dict[int, list[int]] = {}
    for role in (Role.CASEWORKER, Role.GUIDE, Role.COORDINATOR):
        for user_id, _district, unit_id in ctx.staff.get(role, []):
            staff_by_unit.setdefault(unit_id, []).append(user_id)

    total = ctx.scale.cases_per_district * len(ctx.districts)
    bar = tqdm(total=total, desc="cases", unit="case", file=ctx.stdout, mininterval=2)
    seen_numbers: set[str] = set()
    year_counters: dict[int, int] = {}
    plan = [(d, i) for d in ctx.districts for i in range(ctx.scale.cases_per_district)]
    for chunk in batched(plan, 5_000):
        households = bulk.insert(
            Household, [Household() for _ in chunk], user_id=ctx.system_user_id, reason="generated"
        )
        persons, children, cases, threat_plans = [], [], [], []
        for household, (district_id, index) in zip(households, chunk, strict=True):
            female = rng.random() < 0.5
            year = rng.randint(1940, 2004)
            while True:
                pn = random_personal_number(rng, year, female=female)
                if pn not in seen_numbers:
                    seen_numbers.add(pn)
                    break
            given, family = rng.choice(WOMEN if female else MEN), rng.choice(FAMILY)
            persons.append(
                Person(
                    household=household,
                    given_name=given,
                    family_name=family,
                    personal_number=pn,
                    personal_number_bidx=personal_number_index(pn),
                    name_bidx=name_index(f"{given} {family}"),
                    birth_year_band=birth_year_band(pn),
                    address=f"{rng.choice(STREETS)} {rng.randint(1, 90)}",
                    phone=f"070-{rng.randint(1000000, 9999999)}",
                    sex="F" if female else "M",
                    notes="Hyresskuld, behöver stöd." if index % 4 == 0 else "",
                )
            )
            if index % 3 == 0:
                children.extend(
                    HouseholdChild(
                        household=household, birth_year=rng.randint(today.year - 17, today.year)
                    )
                    for _ in range(rng.randint(1, 3))
                )
            district_units = units_by_district[district_id]
            unit = district_units[index % len(district_units)]
            opened = today - timedelta(days=rng.randint(0, 3 * 365))
            year_counters[opened.year] = year_counters.get(opened.year, 0) + 1
            # Two cases in seven are homelessness cases (about 80 homeless people per
            # district and year at the district scale), the rest eviction prevention with
            # one eviction threat each (about 150 a year).
            homeless = index % 7 >= 5
            if homeless:
                plan = None
                closed, outcome = plans.homeless_closing(rng, opened=opened, today=today)
            else:
                plan = plans.plan_threat(rng, opened=opened, today=today)
                closed, outcome = plans.case_closing(rng, plan, opened=opened, today=today)
            threat_plans.append(plan)
            cases.append(
                Case(
                    number=f"BK-{opened.year}-{year_counters[opened.year]:06d}",
                    household=household,
                    kind=Case.Kind.HOMELESSNESS if homeless else Case.Kind.EVICTION_PREVENTION,
                    responsible_unit_id=unit[0],
                    opened_on=opened,
                    status=Case.Status.CLOSED if closed else Case.Status.OPEN,
                    closed_on=closed,
                    outcome=outcome,
                )
            )
        bulk.insert(Person, persons, user_id=ctx.system_user_id, reason="generated")
        # Search by part of a name; the names repeat, so their indexes are computed once.
        PersonNameToken.objects.bulk_create(
            [
                PersonNameToken(person_id=p.pk, token_bidx=t)
                for p in persons
                for t in _tokens(str(p.given_name), str(p.family_name))
            ],
            batch_size=5_000,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_household SET head_id = (SELECT p.id FROM cases_person p "
                "WHERE p.household_id = cases_household.id) WHERE id >= %s AND id <= %s",
                [households[0].pk, households[-1].pk],
            )
        bulk.insert(HouseholdChild, children)
        bulk.insert(Case, cases, user_id=ctx.system_user_id, reason="generated")
        grants, user_grants, assignments = [], [], []
        for case, plan in zip(cases, threat_plans, strict=True):
            if plan is not None:
                ctx.threat_plans[case.pk] = plan
            unit = unit_by_id[case.responsible_unit_id]
            for codename in ("view_case", "change_case"):
                grants.append(
                    CaseGroupObjectPermission(
                        permission=perms[codename], group_id=unit[3], content_object=case
                    )
                )
            staff = staff_by_unit.get(case.responsible_unit_id)
            if staff:
                assignee = staff[case.pk % len(staff)]
                assignments.append(CaseAssignment(case=case, user_id=assignee))
                for codename in ("view_case", "change_case"):
                    user_grants.append(
                        CaseUserObjectPermission(
                            permission=perms[codename], user_id=assignee, content_object=case
                        )
                    )
            ctx.cases.append(
                (case.pk, case.household_id, unit[0], unit[1], case.opened_on, case.kind)
            )
        bulk.insert(CaseGroupObjectPermission, grants)
        bulk.insert(CaseUserObjectPermission, user_grants)
        bulk.insert(CaseAssignment, assignments)
        ctx.persons.extend(
            (p.pk, p.household_id, p.personal_number, p.personal_number_bidx) for p in persons
        )
        bar.update(len(chunk))
    bar.close()


@lru_cache(maxsize=4096)
def _tokens(given: str, family: str) -> frozenset[str]:
    return frozenset(name_token_index_set(given, family))
