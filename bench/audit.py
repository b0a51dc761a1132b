"""Audit scenarios: what logging a read costs, and how fast the chain verifies."""

from __future__ import annotations

from django.test import RequestFactory

from bokvar.models import Role, User
from cases.models import Case

from .runner import Scenario


def audit_scenarios(scale: str) -> list[Scenario]:
    from audit import chain
    from audit.hooks import How, record_read
    from audit.models import AccessLogEntry

    caseworker = User.objects.filter(memberships__role=Role.CASEWORKER).order_by("id").first()
    case = (
        Case.objects.select_related("household__head", "responsible_unit").order_by("-id").first()
    )
    request = RequestFactory().get("/")
    request.user = caseworker

    def log_one_read():
        record_read(request, obj=case, how=How.PAGE)

    def verify():
        verdict = chain.verify()
        if not verdict.ok:
            raise RuntimeError(str(verdict.problem))

    for _ in range(2000 - AccessLogEntry.objects.count()):
        log_one_read()
    return [
        # Logging a read must not slow a page noticeably: a few milliseconds at most.
        Scenario("access log: record one read", log_one_read, budget_ms=5),
        Scenario(
            "access log: verify the chain",
            verify,
            items=max(AccessLogEntry.objects.count(), 1),
            min_rate=100_000,
            # Reading the whole chain once, in order, without computing a hash.
            floor_sql="SELECT seq, at, user_id, object_type, object_id, how, ip, person_id, "
            "case_id, unit_id, protected, outside_unit, prev_hash, hash "
            "FROM audit_accesslogentry ORDER BY seq",
            repeat=3,
            capture_queries=False,
        ),
    ]
