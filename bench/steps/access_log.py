"""Access-log rows: staff reading the cases of their units, chained exactly as the
application chains them, so verification has the real work to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from tqdm import tqdm

from bokvar import bulk

from ..generate import GenContext, batched

COLUMNS = [
    "seq", "at", "user_id", "object_type", "object_id", "how", "ip", "person_id",
    "case_id", "unit_id", "protected", "outside_unit", "via_handover", "denied", "prev_hash",
    "hash",
]  # fmt: skip


def run(ctx: GenContext) -> None:
    from audit import chain
    from audit.models import AccessLogEntry

    rng = ctx.rng
    staff_by_unit: dict[int, list[int]] = {}
    for users in ctx.staff.values():
        for user_id, _district, unit_id in users:
            staff_by_unit.setdefault(unit_id, []).append(user_id)
    person_of_household = {household: pid for pid, household, _pn, _b in ctx.persons}
    reads = [(case, n) for case in ctx.cases for n in range(ctx.scale.access_log_per_case)]
    # The log is in time order: reads spread over the last year.
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / max(1, len(reads))
    last = AccessLogEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = last if last else (0, chain.GENESIS)
    bar = tqdm(total=len(reads), desc="access log", unit="row", file=ctx.stdout, mininterval=2)
    rng.shuffle(reads)
    at = start
    for chunk in batched(reads, 20_000):
        rows = []
        for (case_id, household, unit_id, _district, _opened, _kind), _n in chunk:
            seq += 1
            at += step
            users = staff_by_unit.get(unit_id) or [ctx.system_user_id]
            values = (
                seq,
                at,
                users[rng.randrange(len(users))],
                "cases.case",
                case_id,
                "page",
                "10.0.0.1",
                person_of_household.get(household),
                case_id,
                unit_id,
                False,
                False,
                False,
                False,
                prev,
            )
            prev = chain.entry_hash(*values)
            rows.append((*values, prev))
        if connection.vendor == "postgresql":
            bulk.copy_rows(AccessLogEntry._meta.db_table, COLUMNS, rows)
        else:
            AccessLogEntry.objects.bulk_create(
                [AccessLogEntry(**dict(zip(COLUMNS, row, strict=True))) for row in rows]
            )
        bar.update(len(chunk))
    bar.close()
