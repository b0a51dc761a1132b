"""Generate realistic fictional data at a named scale, fast: bulk inserts with
history, encryption included, and a progress bar per step.

    python manage.py seed_demo --scale {district,city,national}

Each domain adds a step module to STEPS; a step gets the shared context and
appends what later steps need (ids of people, cases, units, staff).
"""

from __future__ import annotations

import importlib
import random
import time
from dataclasses import dataclass, field

from django.db import connection, transaction

from .scales import SCALES, Scale

STEPS = [
    "bench.steps.organisation",
    "bench.steps.cases",
    "bench.steps.workflow",
    "bench.steps.handovers",
    "bench.steps.housing",
    "bench.steps.access_log",
]
BATCH = 5_000


@dataclass
class GenContext:
    scale: Scale
    password: str
    stdout: object
    rng: random.Random = field(default_factory=lambda: random.Random(4711))  # noqa: S311 - fictional data
    districts: list = field(default_factory=list)
    units: list = field(default_factory=list)  # (unit_id, district_id, kind, group_id)
    staff: dict = field(default_factory=dict)  # role -> list of (user_id, district_id, unit_id)
    cases: list = field(
        default_factory=list
    )  # (case_id, household_id, unit_id, district_id, opened_on, kind)
    persons: list = field(default_factory=list)  # (person_id, household_id, personal_number, bidx)
    threat_plans: dict = field(default_factory=dict)  # case_id -> steps.plans.ThreatPlan
    system_user_id: int | None = None

    def log(self, message: str) -> None:
        self.stdout.write(message)


class NotEmpty(Exception):
    pass


def generate(*, scale: str, password: str, stdout) -> GenContext:
    from cases.models import Case

    if Case.objects.exists():
        raise NotEmpty(
            "The database already holds cases: generate benchmark data into an empty database."
        )
    ctx = GenContext(scale=SCALES[scale], password=password, stdout=stdout)
    started = time.perf_counter()
    for name in STEPS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        step_started = time.perf_counter()
        with transaction.atomic():
            module.run(ctx)
        ctx.log(f"{name.rsplit('.', 1)[-1]}: {time.perf_counter() - step_started:.1f} s")
    settle()
    ctx.log(f"Scale '{scale}' generated in {time.perf_counter() - started:.1f} s.")
    return ctx


def settle() -> None:
    """Bring the tables to the state autovacuum keeps them in, in a running installation
    (PostgreSQL; nothing elsewhere). After generating, and in `make bench` after each job
    that writes (bench/__main__.py): a job run again and again leaves its dead rows, and
    the PostgreSQL a benchmark finds may run with autovacuum off.

    The generated tables only: a bare ANALYZE also takes locks on the cluster-wide
    catalogs (pg_authid), so one idle transaction in any other database on the server
    would block it. VACUUM as well where it may run (outside a transaction: the command,
    not the tests): a freshly copied table has no visibility map, so every index-only
    scan visits the heap; benchmarks must measure the steady state (the deadline badge's
    anti-join took 20 ms instead of 1 ms at national scale on an unvacuumed copy, and
    the unread notifications' count read 932 dead rows for 739 after the reminder job's
    runs)."""
    if connection.vendor != "postgresql":
        return
    tables = connection.introspection.django_table_names(only_existing=True)
    command = "ANALYZE " if connection.in_atomic_block else "VACUUM (ANALYZE) "
    with connection.cursor() as cursor:
        cursor.execute(command + ", ".join(map(connection.ops.quote_name, tables)))


def batched(items, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]
